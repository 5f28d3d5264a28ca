// The source's WAL write rate, sampled across the other reads (and whatever
// the caller runs meanwhile) rather than by sleeping on its own.
import type pg from 'pg';

/** How long the WAL write rate is sampled for at least. */
const WAL_SAMPLE_MS = 1_000;

/**
 * Starts the sample; the returned reader waits out the rest of WAL_SAMPLE_MS
 * (unless `full` is false: then it measures over however long the other reads
 * took), then measures.
 */
export async function startWalSample(c: pg.Client, full = true): Promise<() => Promise<{ bytes: number; seconds: number }>> {
  const start = (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  const started = Date.now();
  return async () => {
    const wait = full ? WAL_SAMPLE_MS - (Date.now() - started) : 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = (await c.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes', [start])).rows[0];
    return { bytes: Number(r.bytes), seconds: (Date.now() - started) / 1000 };
  };
}
