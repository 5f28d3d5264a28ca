// Throwaway PostgreSQL clusters on loopback, for the sandbox, the tests and
// the benchmarks.
//
// Each cluster lives in its own mkdtemp directory (socket dir + data dir),
// listens only on 127.0.0.1 with scram-sha-256, and is tuned for speed rather
// than durability because nothing in it is meant to outlive its user.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, chmod, mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

import { OperationError } from '../errors.js';

/** Finds the PostgreSQL server binaries: explicit, PG_BIN, pg_config --bindir, then Debian's layout. */
export function findPgBin(explicit?: string): string {
  const candidates = [explicit, process.env.PG_BIN];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config comes with a client package; its absence says nothing.
  }
  for (const v of ['17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of candidates) if (dir && existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'))) return dir;
  throw new OperationError('no PostgreSQL server binaries found (initdb, postgres)', 'Install them (Debian: apt-get install postgresql-15) or pass --pg-bin / set PG_BIN to their directory.');
}

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

const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const START_ATTEMPTS = 5;

// PostgreSQL refuses to run as root, so under root (tests, CI) every server
// binary goes through runuser and every file the server touches must belong
// to the postgres OS user.
const IS_ROOT = process.getuid?.() === 0;

interface Owner {
  uid: number;
  gid: number;
}

let postgresOwner: Promise<Owner> | undefined;

function lookupPostgresOwner(): Promise<Owner> {
  // Node has no getpwnam; `id` goes through NSS so it also works with LDAP/sssd users.
  postgresOwner ??= (async () => {
    const [uid, gid] = await Promise.all([
      execa('id', ['-u', SUPERUSER]),
      execa('id', ['-g', SUPERUSER]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  })();
  return postgresOwner;
}

function pgCommand(bin: string, binary: string, args: string[]): { file: string; args: string[] } {
  const file = path.join(bin, binary);
  return IS_ROOT ? { file: 'runuser', args: ['-u', SUPERUSER, '--', file, ...args] } : { file, args };
}

async function runPg(bin: string, binary: string, args: string[], cwd: string) {
  const cmd = pgCommand(bin, binary, args);
  // cwd matters under runuser: pg_ctl/initdb complain if the postgres user
  // cannot access the directory they were started from.
  return execa(cmd.file, cmd.args, { cwd, reject: false, stdin: 'ignore', all: true });
}

async function chownRecursive(target: string, owner: Owner): Promise<void> {
  await chown(target, owner.uid, owner.gid);
  const st = await stat(target);
  if (!st.isDirectory()) return;
  for (const entry of await readdir(target)) {
    await chownRecursive(path.join(target, entry), owner);
  }
}

async function giveToPostgres(target: string): Promise<void> {
  if (!IS_ROOT) return;
  await chownRecursive(target, await lookupPostgresOwner());
}

// Ports handed out by this process and not yet released by their cluster:
// binding port 0 and releasing it can hand the same port to two concurrent
// startCluster calls before either server has bound it.
const reservedPorts = new Set<number>();

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, HOST, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !reservedPorts.has(port)) {
      reservedPorts.add(port);
      return port;
    }
  }
  throw new Error('could not find a free loopback port');
}

function confValue(value: string | number): string {
  if (typeof value === 'number') return String(value);
  // postgresql.conf processes backslash escapes inside quoted strings.
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function quoteIdent(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

async function logTail(logFile: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(server log not readable)';
  }
}

// Clusters not yet stopped, so the exit/signal handlers can reap them.
interface LiveCluster {
  bin: string;
  dataDir: string;
  baseDir: string;
  watchdog?: ChildProcess;
}
const live = new Set<LiveCluster>();
let exitHandlerInstalled = false;

function killWatchdog(c: LiveCluster): void {
  const w = c.watchdog;
  c.watchdog = undefined;
  // Checking for a recorded exit avoids signalling a recycled pid.
  if (w && w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
}

// The exit handler cannot run when the process is SIGKILLed, nor when vitest
// runs the test in a worker thread and terminates it (no 'exit' event there).
// A detached shell outlives us, notices our pid is gone and reaps the cluster.
function startWatchdog(c: LiveCluster): void {
  const cmd = pgCommand(c.bin, 'pg_ctl', ['-D', c.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; ' +
    'base="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$base"';
  // node:child_process rather than execa: execa's cleanup would kill the
  // watchdog together with us, which defeats its purpose.
  const child = spawn('sh', ['-c', script, 'watchdog', String(process.pid), c.baseDir, cmd.file, ...cmd.args], {
    detached: true,
    stdio: 'ignore',
    cwd: os.tmpdir(),
  });
  child.on('error', () => undefined);
  child.unref();
  c.watchdog = child;
}

function stopAllSync(): void {
  for (const c of live) {
    killWatchdog(c);
    const cmd = pgCommand(c.bin, 'pg_ctl', ['-D', c.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
    spawnSync(cmd.file, cmd.args, { stdio: 'ignore', cwd: os.tmpdir() });
    rmSync(c.baseDir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // pg_ctl puts the postmaster in its own session, so it survives the death
  // of the test process; only an explicit stop gets rid of it.
  process.on('exit', stopAllSync);
  // A terminating signal skips 'exit'. If nobody else handles the signal we
  // re-raise it after cleanup so the process still dies the default way.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      stopAllSync();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function isPortConflict(log: string): boolean {
  return /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log);
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  installExitHandler();
  const bin = opts.binDir ?? findPgBin();
  const safeName = opts.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 20);
  const baseDir = await mkdtemp(path.join(os.tmpdir(), `pgedge-migrate-${safeName}-`));
  const dataDir = path.join(baseDir, 'data');
  const logFile = path.join(dataDir, 'server.log');
  const password = 'pw-' + randomBytes(12).toString('hex');
  const entry: LiveCluster = { bin, dataDir, baseDir };
  let port = 0;

  try {
    await chmod(baseDir, 0o700);
    await giveToPostgres(baseDir);

    // The password travels through a file, never argv, so it never shows up in ps.
    const pwFile = path.join(baseDir, 'pwfile');
    await writeFile(pwFile, password + '\n', { mode: 0o600 });
    await giveToPostgres(pwFile);
    const init = await runPg(
      bin,
      'initdb',
      [
        '-D', dataDir,
        '-U', SUPERUSER,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwFile}`,
        '-E', 'UTF8',
        '--locale=C',
        // Throwaway clusters: skipping the final fsync makes initdb several times faster.
        '--no-sync',
      ],
      baseDir,
    );
    await unlink(pwFile).catch(() => undefined);
    if (init.exitCode !== 0) {
      throw new Error(`initdb for cluster '${opts.name}' failed (exit ${init.exitCode}):\n${init.all}`);
    }
    await chmod(dataDir, 0o700);

    const baseConf = await readFile(path.join(dataDir, 'postgresql.conf'), 'utf8');
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

    live.add(entry);
    let lastError = '';
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      port = await freePort();
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
        ...opts.settings,
      };
      const lines = Object.entries(settings).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(k)) throw new Error(`invalid setting name: ${JSON.stringify(k)}`);
        return `${k} = ${confValue(v)}`;
      });
      // Appended after initdb's defaults so ours win; ALTER SYSTEM (postgresql.auto.conf)
      // still overrides them, as it would on a real server.
      await writeFile(
        path.join(dataDir, 'postgresql.conf'),
        `${baseConf}\n# --- pgedge-migrate local cluster settings ---\n${lines.join('\n')}\n`,
      );
      await giveToPostgres(dataDir);

      const started = await runPg(bin, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'], baseDir);
      if (started.exitCode === 0) {
        lastError = '';
        break;
      }
      const tail = await logTail(logFile);
      lastError =
        `could not start cluster '${opts.name}' on port ${port} (pg_ctl exit ${started.exitCode}):\n` +
        `${started.all}\n--- tail of ${logFile} ---\n${tail}`;
      // A timed-out start can leave a postmaster behind; make sure it is gone before retrying.
      await runPg(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], baseDir);
      reservedPorts.delete(port);
      // Another process can grab the port between our probe and the server's bind;
      // that is worth another try, anything else is a real failure.
      if (!isPortConflict(tail)) break;
    }
    if (lastError) throw new Error(lastError);
    startWatchdog(entry);
  } catch (err) {
    live.delete(entry);
    killWatchdog(entry);
    if (port) reservedPorts.delete(port);
    await rm(baseDir, { recursive: true, force: true });
    throw err;
  }

  return makeCluster(opts.name, port, password, entry, logFile);
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
      killWatchdog(entry);
      live.delete(entry);
    },

    stop(): Promise<void> {
      stopping ??= (async () => {
        killWatchdog(entry);
        await runPg(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop'], baseDir);
        live.delete(entry);
        reservedPorts.delete(port);
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
