// Throwaway PostgreSQL clusters on loopback, for the sandbox, the tests and the
// benchmarks. PostgreSQL refuses to run as root, so as root the server runs as
// an unprivileged user (postgres) and its files belong to that user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { OperationError } from '../errors.js';

export interface LocalCluster {
  name: string;
  host: string;
  port: number;
  dataDir: string;
  password: string;
  dsn(db?: string, user?: string, password?: string): string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], db?: string): Promise<T[]>;
  exec(sql: string, db?: string): Promise<void>;
  createDatabase(db: string): Promise<void>;
  restart(): Promise<void>;
  stop(opts?: { keep?: boolean }): Promise<void>;
  /** Leaves the server running when this process exits (the sandbox outlives `sandbox up`). */
  detach(): void;
}

export interface LocalClusterOptions {
  name: string;
  /** Directory the cluster's data directory is created in (default: a new temporary directory). */
  baseDir?: string;
  binDir?: string;
  settings?: Record<string, string | number>;
  port?: number;
}

/** Finds the PostgreSQL server binaries: explicit, PG_BIN, pg_config --bindir, then Debian's layout. */
export function findPgBin(explicit?: string): string {
  const candidates = [explicit, process.env.PG_BIN];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is a client package's; its absence says nothing.
  }
  for (const v of ['17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of candidates) if (dir && existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'))) return dir;
  throw new OperationError('no PostgreSQL server binaries found (initdb, postgres)', 'Install them (Debian: apt-get install postgresql-15) or pass --pg-bin / set PG_BIN to their directory.');
}

const asRoot = () => process.getuid?.() === 0;

function serverUser(): { uid: number; gid: number; name: string } | undefined {
  if (!asRoot()) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new OperationError('running as root, and there is no postgres user to run the server as', 'Create one (useradd --system postgres) or run as an ordinary user.');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()), name: 'postgres' };
}

function runAsServerUser(bin: string, args: string[], opts: { input?: string } = {}): { status: number | null; output: string } {
  const user = serverUser();
  const [cmd, argv] = user ? ['runuser', ['-u', user.name, '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', input: opts.input, cwd: tmpdir() });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<{ stopSync(): void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed test or an interrupted demo must not leave servers behind.
  process.on('exit', () => {
    for (const c of running) c.stopSync();
  });
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const bin = findPgBin(opts.binDir);
  const user = serverUser();
  const base = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'pgm-cluster-'));
  mkdirSync(base, { recursive: true });
  const dataDir = join(base, opts.name);
  const sockDir = join(base, `${opts.name}.sock`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(sockDir, { recursive: true });
  if (user) {
    chownSync(base, user.uid, user.gid);
    chownSync(sockDir, user.uid, user.gid);
  }
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const pwfile = join(base, `.${opts.name}.pw`);
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const init = runAsServerUser(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync']);
  rmSync(pwfile, { force: true });
  if (init.status !== 0) throw new OperationError(`initdb for ${opts.name} failed: ${init.output.trim().split('\n').slice(-3).join(' ')}`);
  const port = opts.port ?? (await freePort());
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: sockDir,
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    max_logical_replication_workers: 10,
    max_worker_processes: 20,
    shared_buffers: '32MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...opts.settings,
  };
  appendFileSync(join(dataDir, 'postgresql.conf'), '\n# pgedge-migrate local cluster\n' + Object.entries(settings).map(([k, v]) => `${k} = '${String(v).replaceAll("'", "''")}'`).join('\n') + '\n');
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n');
  if (user) chownSync(join(dataDir, 'pg_hba.conf'), user.uid, user.gid);
  const logFile = join(dataDir, 'server.log');
  const start = () => {
    const r = runAsServerUser(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
    if (r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : r.output;
      throw new OperationError(`PostgreSQL cluster ${opts.name} did not start on port ${port}:\n${log}`);
    }
  };
  start();
  const stopSync = () => void runAsServerUser(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  const handle = { stopSync };
  running.add(handle);
  installExitHook();
  const dsn = (db = 'postgres', u = 'postgres', pw = password) => `postgresql://${encodeURIComponent(u)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const withConn = async <T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: db });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  let stopped = false;
  return {
    name: opts.name,
    host: '127.0.0.1',
    port,
    dataDir,
    password,
    dsn,
    query: (sql, params = [], db = 'postgres') => withConn(db, async (c) => (await c.query(sql, params as unknown[])).rows),
    exec: (sql, db = 'postgres') => withConn(db, async (c) => void (await c.query(sql))),
    createDatabase: (db) => withConn('postgres', async (c) => void (await c.query(`CREATE DATABASE "${db.replaceAll('"', '""')}"`))),
    restart: async () => {
      stopSync();
      start();
    },
    detach: () => void running.delete(handle),
    stop: async (o) => {
      if (stopped) return;
      stopped = true;
      stopSync();
      running.delete(handle);
      if (!o?.keep) rmSync(opts.baseDir ? dataDir : base, { recursive: true, force: true });
      if (!o?.keep) rmSync(sockDir, { recursive: true, force: true });
    },
  };
}

export async function startLocalClusters(names: string[], common: Omit<LocalClusterOptions, 'name'> = {}): Promise<LocalCluster[]> {
  return Promise.all(names.map((name) => startLocalCluster({ ...common, name })));
}

/** Stops a cluster started by another process (sandbox down). */
export function stopClusterAt(binDir: string, dataDir: string): void {
  if (existsSync(join(dataDir, 'postmaster.pid'))) runAsServerUser(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
}
