// The DDL guard as it stands on a database: whether it is there, and taking
// it away outside a cutover (abort). The SQL is src/render/ddl-guard.ts's.
import type pg from 'pg';
import { TOOL_SCHEMA } from './ddl-log.js';
import { GUARD_TRIGGERS, SCHEMA_MARK, removeGuardSql } from '../render/ddl-guard.js';

/** Why the tool may not use a schema of its name on the source; undefined when it may. */
export async function foreignToolSchema(client: pg.ClientBase): Promise<string | undefined> {
  const r = await client.query<{ mark: string | null }>("SELECT obj_description(oid, 'pg_namespace') AS mark FROM pg_namespace WHERE nspname = $1", [TOOL_SCHEMA]);
  if (!r.rows.length || r.rows[0].mark === SCHEMA_MARK) return undefined;
  return `a schema ${TOOL_SCHEMA} exists on the source and is not this tool's (its comment is not the guard's)`;
}

/** The guard's event triggers, or its schema, are on this database. */
export async function guardPresent(client: pg.ClientBase): Promise<boolean> {
  const r = await client.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = ANY($1::name[])) OR EXISTS (SELECT FROM pg_namespace WHERE nspname = $2 AND obj_description(oid, 'pg_namespace') = $3) AS present",
    [Object.values(GUARD_TRIGGERS), TOOL_SCHEMA, SCHEMA_MARK],
  );
  return r.rows[0].present;
}

/** Removes the guard; false when there was none (or the schema of its name is someone else's). */
export async function removeGuard(client: pg.ClientBase): Promise<boolean> {
  if ((await foreignToolSchema(client)) || !(await guardPresent(client))) return false;
  try {
    await client.query(removeGuardSql());
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return true;
}
