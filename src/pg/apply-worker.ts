// A look at a subscription's apply worker on its node: its pid and the
// error counters PostgreSQL keeps for it (pg_stat_subscription_stats, 15+).
// A worker that fails exits, and the launcher starts another one after
// wal_retrieve_retry_interval: its pid changes, it is often absent, and the
// counters rise. PostgreSQL 15 keeps no error text in its statistics, so the
// error is read from the server log when this role may read it.
import type pg from 'pg';
import { pgErrorText } from './connect.js';
import { lastWorkerError } from '../verify/worker-restarts.js';

export interface WorkerLook {
  /** Date.now() of the look. */
  at: number;
  exists: boolean;
  enabled: boolean;
  pid: number | null;
  /** apply_error_count + sync_error_count; null where the server has no such view. */
  errors: number | null;
  /** The subscription's replication origin ('pg_' || oid): the server log's CONTEXT lines name it. */
  origin: string | null;
  /** Seconds since the worker started, where this role may see it. */
  running_seconds?: number | null;
}

const LOOK_SQL = `
SELECT s.subenabled AS enabled, 'pg_' || s.oid AS origin,
       (SELECT st.pid FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL LIMIT 1) AS pid,
       (SELECT ss.apply_error_count + ss.sync_error_count FROM pg_catalog.pg_stat_subscription_stats ss WHERE ss.subid = s.oid) AS errors,
       (SELECT extract(epoch FROM now() - a.backend_start)::float8 FROM pg_catalog.pg_stat_activity a
         WHERE a.pid = (SELECT st.pid FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL LIMIT 1)) AS running_seconds
  FROM pg_catalog.pg_subscription s
 WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`;

export async function lookAtWorker(node: pg.ClientBase, subscription: string): Promise<WorkerLook> {
  const r = await node.query(LOOK_SQL, [subscription]);
  const at = Date.now();
  if (!r.rows.length) return { at, exists: false, enabled: false, pid: null, errors: null, origin: null };
  const row = r.rows[0];
  return { at, exists: true, enabled: row.enabled, pid: row.pid, errors: row.errors === null ? null : Number(row.errors), origin: row.origin, running_seconds: row.running_seconds };
}

/** The worker's last error as the server logged it, or where to find it. */
export interface WorkerError {
  line?: string;
  /** Where to look when the line could not be read. */
  where?: string;
}

// The end of the log is enough: the worker fails again every few seconds.
const TAIL_BYTES = 1024 * 1024;

export async function readWorkerError(node: pg.ClientBase, nodeName: string, subscription: string, origin: string | null): Promise<WorkerError> {
  const search = `search it for "logical replication" and ${origin ? `"${origin}"` : `"${subscription}"`}`;
  let file: string | null = null;
  try {
    const s = await node.query<{ collector: string; may_locate: boolean; may_read: boolean }>(
      `SELECT current_setting('logging_collector') AS collector,
              has_function_privilege('pg_catalog.pg_current_logfile()', 'EXECUTE') AS may_locate,
              has_function_privilege('pg_catalog.pg_read_binary_file(text, bigint, bigint)', 'EXECUTE')
                AND has_function_privilege('pg_catalog.pg_stat_file(text)', 'EXECUTE') AS may_read`,
    );
    const { collector, may_locate, may_read } = s.rows[0];
    if (collector !== 'on') return { where: `${nodeName}'s server log (logging_collector is off: wherever its server's stderr goes; ${search})` };
    if (may_locate) file = (await node.query<{ f: string | null }>('SELECT pg_catalog.pg_current_logfile() AS f')).rows[0].f;
    if (!file || !may_read) return { where: `${nodeName}'s server log${file ? ` (${file} in its data directory)` : ''}: this role may not read it (a superuser or pg_read_server_files may); ${search}` };
    const tail = await node.query<{ data: Buffer }>(
      'SELECT pg_catalog.pg_read_binary_file($1, greatest(size - $2, 0), $2) AS data FROM pg_catalog.pg_stat_file($1)',
      [file, TAIL_BYTES],
    );
    const line = lastWorkerError(tail.rows[0].data.toString('utf8'), subscription, origin);
    return line ? { line } : { where: `${nodeName}'s server log (${file} in its data directory) names no error of it in its last MB; ${search}` };
  } catch (e) {
    return { where: `${nodeName}'s server log${file ? ` (${file} in its data directory)` : ''}, which could not be read (${pgErrorText(e)}); ${search}` };
  }
}
