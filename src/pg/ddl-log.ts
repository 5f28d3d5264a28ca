// The guard's record of DDL run on the source (plan: ddl.guard). Written by
// the guard's event trigger, read by `status` and `cutover`, and marked as
// brought to the nodes by `migrate ddl` (which runs its own statements with
// DDL_CHANGE_SETTING set, so the trigger records them as already brought, and
// `block` lets them through).
//
// The table is UNLOGGED on purpose: PostgreSQL never publishes an unlogged
// table, not even FOR ALL TABLES, so the record cannot reach the nodes'
// subscriptions or show up as a published table they lack. The price: a crash
// of the source empties it. Drift detection (columns compared per table) does
// not depend on it and still catches what a crash forgot.
//
// The guard (installing the schema, table, function and event triggers) owns
// the DDL; this module is the contract the other parts read through.
import type pg from 'pg';

/** The tool's own schema on the source. Never dumped, never published, never compared. */
export const TOOL_SCHEMA = 'pgedge_migrate';
export const DDL_LOG_TABLE = 'ddl_log';
/** A custom setting `migrate ddl` sets in its source session: the id of the change it is applying. */
export const DDL_CHANGE_SETTING = 'pgedge_migrate.ddl_change';

export interface RecordedDdl {
  id: string;
  /** ISO time the statement ran. */
  at: string;
  role: string;
  command_tag: string;
  /** Schema of the object the statement touched, where the server says. */
  object_schema: string | null;
  /** pg_event_trigger_ddl_commands().object_identity, where the server says. */
  object_identity: string | null;
  /** current_query(): the whole statement as the client sent it. */
  statement: string;
  /** The `migrate ddl` change that ran it, or null when it was run by hand. */
  change: string | null;
  /** When it was brought to the nodes (by `migrate ddl`); null while pending. */
  brought_at: string | null;
}

/** The guard's records, oldest first; undefined when the guard is not installed on this database. */
export async function readRecordedDdl(client: pg.ClientBase, opts: { pendingOnly: boolean }): Promise<RecordedDdl[] | undefined> {
  const exists = await client.query<{ ok: boolean }>(
    'SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2) AS ok',
    [TOOL_SCHEMA, DDL_LOG_TABLE],
  );
  if (!exists.rows[0].ok) return undefined;
  const r = await client.query<RecordedDdl>(
    `SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, role::text, command_tag,
            object_schema, object_identity, statement, change,
            to_char(brought_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS brought_at
       FROM pgedge_migrate.ddl_log
      WHERE NOT $1::boolean OR brought_at IS NULL
      ORDER BY id`,
    [opts.pendingOnly],
  );
  return r.rows;
}

/** Marks recorded statements as brought to the nodes by change `change`. */
export async function markBrought(client: pg.ClientBase, ids: string[], change: string): Promise<void> {
  if (!ids.length) return;
  await client.query('UPDATE pgedge_migrate.ddl_log SET brought_at = now(), change = $2 WHERE id = ANY($1::bigint[]) AND brought_at IS NULL', [ids, change]);
}
