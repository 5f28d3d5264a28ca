import { formatBytes } from '../../pg/replication-state.js';
import type { SourceCatalog } from '../facts.js';
import { info, warning, type SourceRule, type Verdict } from '../rule.js';

/**
 * Dump and restore throughput assumed when weighing max_slot_wal_keep_size:
 * well under what MECHANICS.md measured (about 60 MB/s for both together on a
 * laptop), because a production source is busy and its nodes are remote.
 */
const ASSUMED_COPY_BYTES_PER_SECOND = 20 * 1024 * 1024;
const MIN_COPY_SECONDS = 600;

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function limited(f: SourceCatalog, limitMb: number, rate: number, rateText: string, copySeconds: number): Verdict {
  const limit = limitMb * 1024 * 1024;
  const lasts = rate > 0 ? limit / rate : Infinity;
  const enough = lasts >= copySeconds;
  const fix =
    f.settings.rds_logical_replication !== undefined
      ? `Raise max_slot_wal_keep_size in the parameter group (or -1 for no limit, watching the disk), or migrate at a quieter time.`
      : `ALTER SYSTEM SET max_slot_wal_keep_size = '${Math.ceil((rate * copySeconds * 2) / 1024 ** 3)}GB';  SELECT pg_reload_conf();  (or -1 for no limit, watching the disk), or migrate at a quieter time.`;
  return (enough ? info : warning)(
    `max_slot_wal_keep_size is ${formatBytes(limit)}; ${rateText}, so the slots can fall ${Number.isFinite(lasts) ? `about ${formatDuration(lasts)}` : 'indefinitely'} behind`,
    `A slot further behind than this is invalidated and its node's stream is lost for good (the migration must start over). The slots fall behind from their creation until each node has restored and caught up; for this database that may take ${formatDuration(copySeconds)} or more (assuming ${formatBytes(ASSUMED_COPY_BYTES_PER_SECOND)}/s for dump and restore).`,
    enough ? undefined : fix,
  );
}

export const rule: SourceRule = {
  id: 'source.max_slot_wal_keep_size',
  target: 'source',
  severity: 'warning',
  title: "max_slot_wal_keep_size outlasts the dump, the restores and catch-up at the source's WAL rate",
  docs: {
    why: "A slot further behind than max_slot_wal_keep_size is invalidated and its node's stream is lost for good (the migration must start over). The source's WAL rate is sampled during the check and weighed against the time the dump and restores may take. With no limit (-1) the slots are never invalidated but hold all that WAL on the source's disk.",
    fix: "ALTER SYSTEM SET max_slot_wal_keep_size = '<about twice the WAL expected>'; SELECT pg_reload_conf(); (or -1, watching the disk), or migrate at a quieter time.",
  },
  check: (f) => {
    const { bytes, seconds } = f.wal_rate;
    const rate = bytes / seconds;
    const rateText = `the source writes about ${formatBytes(Math.round(rate))}/s of WAL now (sampled over ${seconds.toFixed(1)} s)`;
    const limitMb = f.settings.max_slot_wal_keep_size;
    if (limitMb === undefined) return undefined;
    const copySeconds = Math.max(MIN_COPY_SECONDS, (f.published_size ?? f.database_size) / ASSUMED_COPY_BYTES_PER_SECOND);
    if (limitMb >= 0) return limited(f, limitMb, rate, rateText, copySeconds);
    return info(
      `max_slot_wal_keep_size is -1 (no limit); ${rateText}`,
      `The slots are never invalidated, but they hold all WAL written from their creation until the nodes have consumed it: about ${formatBytes(Math.round(rate * copySeconds))} over ${Math.round(copySeconds / 60)} min of dump, restore and catch-up at this rate. The source's free disk cannot be read over SQL: watch it during apply.`,
    );
  },
};
