// Whether a node can take the restore and the stream: a hot standby cannot,
// nor a database whose sessions start read-only. Asked on a session opened as
// pg_restore's and the application's are (the tool's own sessions override
// default_transaction_read_only, see connect.ts), before anything is created.
import { connect } from './connect.js';
import { quoteIdent } from '../render/quote.js';

export interface NotWritable {
  found: string;
  fix: string;
}

interface Probe {
  standby: boolean;
  default_ro: string;
  database: string;
  user: string;
  /** The pg_db_role_setting rows that turn default_transaction_read_only on here: a role name, or null for the database itself. */
  set_by: { role: string | null; in_database: boolean }[] | null;
}

const PROBE = `
SELECT pg_is_in_recovery() AS standby,
       current_setting('default_transaction_read_only') AS default_ro,
       current_database() AS database, current_user AS "user",
       (SELECT json_agg(json_build_object('role', r.rolname, 'in_database', s.setdatabase <> 0) ORDER BY s.setrole, s.setdatabase)
          FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
         WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
           AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))
           AND EXISTS (SELECT FROM unnest(s.setconfig) AS c WHERE c ~* '^default_transaction_read_only=(on|true|yes|1|t|y)$')) AS set_by`;

function resetStatement(p: Probe): string {
  const db = quoteIdent(p.database);
  const resets = (p.set_by ?? []).map((s) =>
    s.role === null ? `ALTER DATABASE ${db} RESET default_transaction_read_only;` : `ALTER ROLE ${quoteIdent(s.role)}${s.in_database ? ` IN DATABASE ${db}` : ''} RESET default_transaction_read_only;`,
  );
  // Typed into a session of the read-only database itself, ALTER fails ("read-only transaction"): run it from another one.
  return resets.length ? `psql -d postgres -c "${resets.join(' ')}"` : 'Find where default_transaction_read_only = on comes from (postgresql.conf, ALTER SYSTEM, PGOPTIONS) and turn it off for this database.';
}

/** Why `dsn` cannot take writes, with the fix; undefined when it can. */
export async function whyNotWritable(dsn: string, label: string): Promise<NotWritable | undefined> {
  // options '' drops the tool's own override, so the session starts as pg_restore's does (PGOPTIONS included).
  const c = await connect(dsn, label, { options: '' });
  let p: Probe;
  try {
    // Read-only itself, as every session of check is: READ ONLY changes this
    // transaction, not the session's default_transaction_read_only read here,
    // and a session starts read-only exactly when that default is on (or on a standby).
    await c.query('BEGIN TRANSACTION READ ONLY');
    p = (await c.query<Probe>(PROBE)).rows[0];
    await c.query('COMMIT');
  } finally {
    await c.end().catch(() => undefined);
  }
  if (p.standby) {
    return { found: `${label} is a hot standby (pg_is_in_recovery()): it cannot take writes`, fix: "Point the node's dsn at its primary, or promote it (pg_promote()) if it is meant to be one." };
  }
  if (p.default_ro === 'on') {
    const by = p.set_by?.length ? p.set_by.map((s) => (s.role === null ? `the database ${p.database}` : `role ${s.role}${s.in_database ? ` in database ${p.database}` : ''}`)).join(', ') : 'the server configuration or the connection';
    return { found: `${label} is read-only: sessions of database ${p.database} as ${p.user} start with default_transaction_read_only = on (set for ${by}); the restore and the stream would fail there`, fix: resetStatement(p) };
  }
  return undefined;
}
