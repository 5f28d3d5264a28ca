// How far the COPYs of a dump or a restore have got, from pg_stat_progress_copy
// on the database doing them: bytes and rows per table, a rate from two looks,
// and an estimate against the source's row estimate (pg_class.reltuples).
import type pg from 'pg';
import { formatBytes } from './replication-state.js';

export interface CopySample {
  table: string;
  bytes: number;
  rows: number;
}

export async function readCopyProgress(client: pg.Client): Promise<CopySample[]> {
  const r = await client.query<{ table: string; bytes: string; rows: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS table, p.bytes_processed::text AS bytes, p.tuples_processed::text AS rows
       FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY 1`,
  );
  return r.rows.map((x) => ({ table: x.table, bytes: Number(x.bytes), rows: Number(x.rows) }));
}

/** The source's row estimate per table, for "~N s left". */
export async function rowEstimates(source: pg.Client): Promise<Map<string, number>> {
  const r = await source.query<{ table: string; rows: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS table, greatest(c.reltuples, 0)::bigint::text AS rows
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  return new Map(r.rows.map((x) => [x.table, Number(x.rows)]));
}

/** One line: `shop.orders 12 MB, 120000 of ~500000 rows, 80000 rows/s, ~5 s left`, for each table being copied. */
export function formatCopyProgress(now: CopySample[], before: CopySample[], seconds: number, estimates: Map<string, number>): string {
  return now
    .map((s) => {
      const prev = before.find((b) => b.table === s.table);
      const rate = prev && seconds > 0 ? Math.max(0, (s.rows - prev.rows) / seconds) : undefined;
      const expected = estimates.get(s.table);
      const parts = [`${s.table} ${formatBytes(s.bytes)}`, expected ? `${s.rows} of ~${expected} rows` : `${s.rows} rows`];
      if (rate !== undefined) parts.push(`${Math.round(rate)} rows/s`);
      if (rate && expected && expected > s.rows) parts.push(`~${Math.ceil((expected - s.rows) / rate)} s left`);
      return parts.join(', ');
    })
    .join('; ');
}
