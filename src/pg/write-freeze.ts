// Stopping every writer of the source database, not only this tool's role:
// the database is closed to new connections (superusers and walsenders
// included: a session can override default_transaction_read_only with
// PGOPTIONS, SET or BEGIN READ WRITE), new sessions start read-only, and every
// other client session of it is ended. Sessions already connected before the
// close (this tool's own, the subscriptions' walsenders) stay.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import { quoteIdent, quoteLiteral } from '../render/quote.js';
import { OperationError } from '../errors.js';

export interface FreezeState {
  database: string;
  /** default_transaction_read_only as set on the database before the freeze (null: not set). */
  read_only_before: string | null;
  frozen_at: string;
  /** The database was (or was about to be) closed to new connections: undone from another database. */
  closed?: boolean;
}

/**
 * Whether the role can see and end every other role's session, as the freeze
 * must: without pg_read_all_stats, pg_stat_activity shows another role's
 * session with a NULL backend_type and backend_xid, so the freeze and the fence
 * pass over it and it keeps writing; without pg_signal_backend,
 * pg_terminate_backend fails on it. A superuser has both.
 */
export interface FreezePrivileges {
  role: string;
  may_see_sessions: boolean;
  may_signal: boolean;
}

export async function readFreezePrivileges(source: pg.Client): Promise<FreezePrivileges> {
  return (
    await source.query<FreezePrivileges>(
      `SELECT current_user AS role, pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS may_see_sessions, pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS may_signal`,
    )
  ).rows[0];
}

/** "see (pg_read_all_stats) or end (pg_signal_backend)": what the role may not do to others' sessions; undefined when it may do both. */
export function freezePrivilegesLacking(p: FreezePrivileges): string | undefined {
  const lacks = [...(p.may_see_sessions ? [] : ['see (pg_read_all_stats)']), ...(p.may_signal ? [] : ['end (pg_signal_backend)'])];
  return lacks.length ? lacks.join(' or ') : undefined;
}

/** The GRANT a role lacking either needs (run as a superuser); undefined when it has both. */
export function freezePrivilegesGrant(p: FreezePrivileges): string | undefined {
  const missing = [...(p.may_see_sessions ? [] : ['pg_read_all_stats']), ...(p.may_signal ? [] : ['pg_signal_backend'])];
  return missing.length ? `GRANT ${missing.join(', ')} TO ${quoteIdent(p.role)};` : undefined;
}

/**
 * Before a freeze: one that cannot see another role's sessions would end none
 * of them and report success while they go on writing; one that may not end
 * them fails halfway. `where`: 'the source', 'node n1'; `then`: what to do after the GRANT.
 */
export async function requireFreezePrivileges(c: pg.Client, where: string, then: string): Promise<void> {
  const p = await readFreezePrivileges(c);
  const lacks = freezePrivilegesLacking(p);
  if (!lacks) return;
  throw new OperationError(
    `the role ${p.role} may not ${lacks} other roles' sessions on ${where}: a freeze could leave one of them writing`,
    `Nothing was frozen. On ${where}, as a superuser: ${freezePrivilegesGrant(p)} then ${then}.`,
  );
}

export async function databaseReadOnlySetting(source: pg.Client): Promise<{ database: string; value: string | null }> {
  const r = await source.query<{ database: string; value: string | null }>(
    `SELECT current_database() AS database,
            (SELECT substring(s FROM '^default_transaction_read_only=(.*)$')
               FROM pg_db_role_setting d, unnest(d.setconfig) s
              WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND d.setrole = 0 AND s LIKE 'default_transaction_read_only=%') AS value`,
  );
  return r.rows[0];
}

/**
 * Sets the database read-only for new sessions, then ends every other client
 * session of it and waits until they are gone: pg_terminate_backend only asks,
 * and a session still on its way out may yet commit. Repeats until a look
 * finds none, to catch a session that was starting while the setting changed.
 */
export async function freezeWrites(source: pg.Client, sql: string): Promise<number> {
  const [alter, ...rest] = sql.split(/;\s*\n/);
  const terminate = rest.join(';\n');
  // Committed on its own first, so that every session that starts from now on is read-only.
  await source.query(alter);
  let ended = 0;
  const deadline = Date.now() + 15_000;
  const ending = new Set<number>();
  while (true) {
    const r = await source.query<{ pid: number }>(terminate);
    for (const row of r.rows) if (!ending.has(row.pid)) (ending.add(row.pid), ended++);
    // Waiting for them all at once: pg_terminate_backend(pid, timeout) would
    // wait for each in turn, in 100 ms steps.
    const left = await source.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [[...ending]]);
    if (!r.rowCount && !left.rowCount) return ended;
    if (Date.now() > deadline) {
      const pids = [...new Set([...r.rows, ...left.rows].map((x) => x.pid))];
      throw new OperationError(`sessions ${pids.join(', ')} of the source database did not end within 15 s of being terminated`, 'The freeze is undone. Find what holds them (pg_stat_activity) and run cutover again.');
    }
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Run from another database of the server: PostgreSQL refuses to close the current database. */
export async function closeDatabase(server: pg.Client, database: string): Promise<void> {
  await server.query(renderSql('close-database.sql.hbs', { database }));
}

export async function openDatabase(server: pg.Client, database: string): Promise<void> {
  await server.query(renderSql('open-database.sql.hbs', { database }));
}

export async function unfreezeWrites(source: pg.Client, state: Pick<FreezeState, 'database' | 'read_only_before'>): Promise<void> {
  if (state.read_only_before === null) {
    await source.query(renderSql('unfreeze-writes.sql.hbs', { database: state.database }));
  } else {
    await source.query(`ALTER DATABASE ${quoteIdent(state.database)} SET default_transaction_read_only = ${quoteLiteral(state.read_only_before)}`);
  }
}

/** From any database of the server: whether `database` takes connections and starts its sessions read-only; undefined when it does not exist. */
export async function readDatabaseFreeze(server: pg.Client, database: string): Promise<{ closed: boolean; read_only: boolean } | undefined> {
  const r = await server.query<{ closed: boolean; read_only: boolean }>(
    `SELECT NOT d.datallowconn AS closed,
            EXISTS (SELECT FROM pg_db_role_setting r, unnest(r.setconfig) s
                     WHERE r.setdatabase = d.oid AND r.setrole = 0 AND s ~* '^default_transaction_read_only=(on|true|yes|1|t|y)$') AS read_only
       FROM pg_database d WHERE d.datname = $1`,
    [database],
  );
  return r.rows[0];
}
