// Throwaway PostgreSQL clusters on loopback, for the sandbox, the tests and
// the benchmarks.
//
// Each cluster lives in its own mkdtemp directory (socket dir + data dir),
// listens only on 127.0.0.1 with scram-sha-256, and is tuned for speed rather
// than durability because nothing in it is meant to outlive its user.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { quoteIdent } from '../render/quote.js';
import { findPgBin, pgCommand, runPg, SUPERUSER } from './pg-bin.js';
import { giveToPostgres } from './postgres-owner.js';
import { freePort, releasePort, HOST } from './ports.js';
import { track, untrack, startWatchdog, type LiveCluster } from './reaper.js';

export { findPgBin } from './pg-bin.js';

export interface LocalCluster {
  name: string;
  host: string;
  port: number;
  dataDir: string;
  password: string;
  dsn(db?: string, user?: string, password?: string): string;
  query<T = any>(sql: string, params?: unknown[], db?: string): Promise<T[]>;
  exec(sql: string, db?: string): Promise<void>;
  createDatabase(db: string): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Leaves the server running after this process exits (the sandbox outlives `sandbox up`). */
  detach(): void;
}

export interface LocalClusterOptions {
  name: string;
  settings?: Record<string, string | number>;
  /** PostgreSQL server binaries (default: findPgBin()). */
  binDir?: string;
}

const START_ATTEMPTS = 5;

function confValue(value: string | number): string {
  if (typeof value === 'number') return String(value);
  // postgresql.conf processes backslash escapes inside quoted strings.
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

async function logTail(logFile: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(server log not readable)';
  }
}

function isPortConflict(log: string): boolean {
  return /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log);
}

/** initdb with the password from a file (never argv, so never in ps), and a loopback-only pg_hba. */
async function initDataDir(name: string, bin: string, baseDir: string, dataDir: string, password: string): Promise<void> {
  await chmod(baseDir, 0o700);
  await giveToPostgres(baseDir);
  const pwFile = path.join(baseDir, 'pwfile');
  await writeFile(pwFile, password + '\n', { mode: 0o600 });
  await giveToPostgres(pwFile);
  const init = await runPg(
    bin,
    'initdb',
    // Throwaway clusters: skipping the final fsync makes initdb several times faster.
    ['-D', dataDir, '-U', SUPERUSER, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C', '--no-sync'],
    baseDir,
  );
  await unlink(pwFile).catch(() => undefined);
  if (init.exitCode !== 0) throw new Error(`initdb for cluster '${name}' failed (exit ${init.exitCode}):\n${init.all}`);
  await chmod(dataDir, 0o700);
  await writeFile(
    path.join(dataDir, 'pg_hba.conf'),
    [
      '# written by pgedge-migrate (src/sandbox/local-cluster.ts)',
      'local   all          all                 trust',
      'local   replication  all                 trust',
      'host    all          all  127.0.0.1/32   scram-sha-256',
      'host    replication  all  127.0.0.1/32   scram-sha-256',
      '',
    ].join('\n'),
  );
}

function settingsFor(port: number, baseDir: string, extra: LocalClusterOptions['settings']): string[] {
  const settings: Record<string, string | number> = {
    listen_addresses: HOST,
    port,
    unix_socket_directories: baseDir,
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    max_logical_replication_workers: 10,
    max_worker_processes: 20,
    shared_buffers: '32MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    logging_collector: 'off',
    ...extra,
  };
  return Object.entries(settings).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(k)) throw new Error(`invalid setting name: ${JSON.stringify(k)}`);
    return `${k} = ${confValue(v)}`;
  });
}

/** Starts the server on a free port, trying another when someone else takes the port first. Returns the port. */
async function startOnFreePort(opts: LocalClusterOptions, bin: string, baseDir: string, dataDir: string, logFile: string): Promise<number> {
  const baseConf = await readFile(path.join(dataDir, 'postgresql.conf'), 'utf8');
  let lastError = '';
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await freePort();
    // Appended after initdb's defaults so ours win; ALTER SYSTEM (postgresql.auto.conf)
    // still overrides them, as it would on a real server.
    await writeFile(path.join(dataDir, 'postgresql.conf'), `${baseConf}\n# --- pgedge-migrate local cluster settings ---\n${settingsFor(port, baseDir, opts.settings).join('\n')}\n`);
    await giveToPostgres(dataDir);
    const started = await runPg(bin, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], baseDir);
    if (started.exitCode === 0) return port;
    const tail = await logTail(logFile);
    lastError = `could not start cluster '${opts.name}' on port ${port} (pg_ctl exit ${started.exitCode}):\n${started.all}\n--- tail of ${logFile} ---\n${tail}`;
    // A timed-out start can leave a postmaster behind; make sure it is gone before retrying.
    await runPg(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], baseDir);
    releasePort(port);
    // Another process can grab the port between our probe and the server's bind;
    // that is worth another try, anything else is a real failure.
    if (!isPortConflict(tail)) break;
  }
  throw new Error(lastError);
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const bin = opts.binDir ?? findPgBin();
  const safeName = opts.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 20);
  const baseDir = await mkdtemp(path.join(os.tmpdir(), `pgedge-migrate-${safeName}-`));
  const dataDir = path.join(baseDir, 'data');
  const logFile = path.join(dataDir, 'server.log');
  const password = 'pw-' + randomBytes(12).toString('hex');
  const entry: LiveCluster = { bin, dataDir, baseDir };
  try {
    await initDataDir(opts.name, bin, baseDir, dataDir, password);
    track(entry);
    const port = await startOnFreePort(opts, bin, baseDir, dataDir, logFile);
    startWatchdog(entry);
    return makeCluster(opts.name, port, password, entry, logFile);
  } catch (err) {
    untrack(entry);
    await rm(baseDir, { recursive: true, force: true });
    throw err;
  }
}

function makeCluster(name: string, port: number, password: string, entry: LiveCluster, logFile: string): LocalCluster {
  const { bin, dataDir, baseDir } = entry;
  let stopping: Promise<void> | undefined;

  async function withClient<R>(db: string | undefined, fn: (client: pg.Client) => Promise<R>): Promise<R> {
    const client = new pg.Client({ host: HOST, port, user: SUPERUSER, password, database: db ?? 'postgres' });
    // A server-side disconnect (cluster stop, pg_terminate_backend) would otherwise
    // surface as an unhandled 'error' event and kill the test process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  const cluster: LocalCluster = {
    name,
    host: HOST,
    port,
    dataDir,
    password,

    dsn(db = 'postgres', user = SUPERUSER, pass?: string): string {
      // The superuser's password is only meaningful for the superuser.
      const pw = pass ?? (user === SUPERUSER ? password : undefined);
      const auth = encodeURIComponent(user) + (pw !== undefined ? ':' + encodeURIComponent(pw) : '');
      return `postgresql://${auth}@${HOST}:${port}/${encodeURIComponent(db)}`;
    },

    query<T = any>(sql: string, params?: unknown[], db?: string): Promise<T[]> {
      return withClient(db, async (client) => {
        const res: pg.QueryResult | pg.QueryResult[] = await client.query(sql, params as any[] | undefined);
        // Several statements without params come back as one result per statement;
        // the last one is what a caller of a "returns rows" helper means.
        const last = Array.isArray(res) ? res[res.length - 1] : res;
        return (last?.rows ?? []) as T[];
      });
    },

    async exec(sql: string, db?: string): Promise<void> {
      // No parameters means the simple query protocol, which accepts several statements.
      await withClient(db, (client) => client.query(sql));
    },

    async createDatabase(db: string): Promise<void> {
      await cluster.exec(`CREATE DATABASE ${quoteIdent(db)}`);
    },

    async restart(): Promise<void> {
      if (stopping) throw new Error(`cluster '${name}' is stopped`);
      const res = await runPg(
        bin,
        'pg_ctl',
        ['-D', dataDir, '-l', logFile, '-m', 'fast', '-w', '-t', '60', 'restart'],
        baseDir,
      );
      if (res.exitCode !== 0) {
        throw new Error(
          `could not restart cluster '${name}' (pg_ctl exit ${res.exitCode}):\n${res.all}\n` +
            `--- tail of ${logFile} ---\n${await logTail(logFile)}`,
        );
      }
    },

    detach(): void {
      untrack(entry);
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        untrack(entry);
        await runPg(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop'], baseDir);
        releasePort(port);
        await rm(baseDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  return cluster;
}

export async function startLocalClusters(
  names: string[],
  common: Omit<LocalClusterOptions, 'name'> = {},
): Promise<LocalCluster[]> {
  const results = await Promise.allSettled(names.map((name) => startLocalCluster({ ...common, name })));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    // Don't leak the ones that did come up: the caller never gets a handle to them.
    await Promise.all(
      results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())),
    );
    throw failures[0].reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<LocalCluster>).value);
}

/** Stops a cluster started by another process (sandbox down). */
export function stopClusterAt(bin: string, dataDir: string): void {
  if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const cmd = pgCommand(bin, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  spawnSync(cmd.file, cmd.args, { stdio: 'ignore', cwd: os.tmpdir() });
}
