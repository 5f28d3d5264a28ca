// The one module that opens PostgreSQL connections, ordinary and replication.
// A connection never outlives the callback that asked for it.
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { parseConninfo } from '../plan/conninfo.js';
import { OperationError } from '../errors.js';

export type Client = pg.Client;

const APPLICATION_NAME = 'pgedge-migrate';

/** node-postgres settings from a libpq DSN; what the DSN leaves out comes from PG* variables and ~/.pgpass, as with libpq. */
export function clientConfig(dsn: string, extra: Partial<pg.ClientConfig> = {}): pg.ClientConfig {
  const info = parseConninfo(dsn);
  const config: pg.ClientConfig = { application_name: info.application_name ?? APPLICATION_NAME, ...extra };
  if (info.host ?? info.hostaddr) config.host = (info.hostaddr ?? info.host)!.split(',')[0];
  if (info.port) config.port = Number(info.port.split(',')[0]);
  if (info.user) config.user = info.user;
  if (info.password) config.password = info.password;
  if (info.dbname) config.database = info.dbname;
  if (info.connect_timeout) config.connectionTimeoutMillis = Number(info.connect_timeout) * 1000;
  else config.connectionTimeoutMillis = 15_000;
  const sslmode = info.sslmode ?? process.env.PGSSLMODE;
  if (sslmode && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer') {
    const verify = sslmode === 'verify-ca' || sslmode === 'verify-full';
    const rootcert = info.sslrootcert ?? process.env.PGSSLROOTCERT;
    config.ssl = { rejectUnauthorized: verify, ...(verify && rootcert ? { ca: readFileSync(rootcert, 'utf8') } : {}) };
    if (sslmode === 'verify-ca' && config.ssl && typeof config.ssl === 'object') config.ssl.checkServerIdentity = () => undefined;
  }
  return config;
}

/** Where a DSN points, for messages: never includes the password. */
export function describeEndpoint(dsn: string): string {
  const info = parseConninfo(dsn);
  return `${info.host ?? process.env.PGHOST ?? 'localhost'}:${info.port ?? process.env.PGPORT ?? 5432}/${info.dbname ?? process.env.PGDATABASE ?? info.user ?? ''}`;
}

export async function connect(dsn: string, label: string, extra: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  // The tool's own sessions must keep working on a source it has frozen
  // read-only (to drop its publications after the switch, to undo the freeze).
  // Options of the caller's (a pgEdge node's session settings) come on top;
  // an explicit empty options drops the override, for a session that must
  // start as the application's and pg_restore's do (node-writable.ts).
  const base = (extra as { replication?: string }).replication || extra.options === '' ? undefined : '-c default_transaction_read_only=off';
  const options = [base, extra.options].filter(Boolean).join(' ');
  const client = new pg.Client(clientConfig(dsn, { ...extra, ...(options ? { options } : {}) }));
  // An error on an idle connection (server restart, network) must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    // node-postgres's words when the server wants a password and none was found: SASL: SCRAM-SERVER-FIRST-MESSAGE: ...
    if (/password must be a string|no password was provided|password authentication.*no password/i.test((e as Error).message)) {
      throw new OperationError(`cannot connect to ${label} (${describeEndpoint(dsn)}): the server asked for a password and none was given`, 'Give it through PGPASSWORD, ~/.pgpass (or PGPASSFILE), or in the DSN (with ${ENV_VAR} so it stays out of the plan).');
    }
    throw new OperationError(`cannot connect to ${label} (${describeEndpoint(dsn)}): ${(e as Error).message}`, 'Check the DSN, that the server is reachable from here, and pg_hba.conf.');
  }
  return client;
}

export async function withClient<T>(dsn: string, label: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(dsn, label);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The other databases of a server a maintenance session tries, in order: every cluster has them unless dropped. */
export const MAINTENANCE_DATABASES = ['postgres', 'template1'] as const;

/** Why one maintenance database refused the session: the server's SQLSTATE (42501 no CONNECT privilege, 28000 pg_hba.conf) and words. */
export interface MaintenanceRefusal {
  database: string;
  code: string | undefined;
  message: string;
}

/** A session on the first maintenance database that takes it, with why those before it refused; no client when none did. */
export async function openMaintenance(dsn: string): Promise<{ client: pg.Client | undefined; refused: MaintenanceRefusal[] }> {
  const refused: MaintenanceRefusal[] = [];
  for (const database of MAINTENANCE_DATABASES) {
    const client = new pg.Client({ ...clientConfig(dsn, { options: '-c default_transaction_read_only=off' }), database });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { client, refused };
    } catch (e) {
      await client.end().catch(() => undefined);
      refused.push({ database, code: (e as { code?: string }).code, message: pgErrorText(e) });
    }
  }
  return { client: undefined, refused };
}

/**
 * A session on another database of the source's server, for what a database
 * cannot do to itself (close itself to new connections) and for what must
 * work while it is closed (opening it again). Tries postgres, then template1.
 * `migrate check` tries the same (source.freeze_access).
 */
export async function connectMaintenance(dsn: string, label: string): Promise<pg.Client> {
  const { client, refused } = await openMaintenance(dsn);
  if (client) return client;
  throw new OperationError(
    `cannot connect to another database of ${label} (${describeEndpoint(dsn)}) (${refused.map((r) => `${r.database}: ${r.message}`).join('; ')})`,
    'The write freeze closes the source database to new connections, which PostgreSQL allows only from another database of the same server: let the plan\'s source role connect to the database postgres (or template1).',
  );
}

export async function withMaintenanceClient<T>(dsn: string, label: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectMaintenance(dsn, label);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A walsender connection (replication=database). It speaks the replication
 * protocol's simple-query commands; node-postgres cannot bind parameters on it,
 * so callers pass fully quoted text.
 */
export async function connectReplication(dsn: string, label: string): Promise<pg.Client> {
  return connect(dsn, `${label} (replication connection)`, { replication: 'database' } as Partial<pg.ClientConfig>);
}

/** PostgreSQL's own error fields, so that messages say what the server said and where. */
export function pgErrorText(e: unknown): string {
  const err = e as { message?: string; code?: string; detail?: string; hint?: string };
  let s = err.message ?? String(e);
  if (err.detail) s += ` (${err.detail})`;
  if (err.hint) s += ` Hint: ${err.hint}`;
  return s;
}
