// What the integration tests share beyond the cluster harness: running the
// real CLI, writing plans, and waiting for replication to settle.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startClusters, type Cluster } from '../harness/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const SAMPLE_SCHEMA = readFileSync(join(ROOT, 'templates', 'sandbox', 'schema.sql'), 'utf8');
export const SAMPLE_LOAD = readFileSync(join(ROOT, 'templates', 'sandbox', 'write-load.pgbench'), 'utf8');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; cli?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [opts.cli ?? CLI, ...args],
      { cwd: opts.cwd, env: { ...process.env, CI: '1', ...opts.env }, timeout: opts.timeoutMs ?? 240_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pgm-${prefix}-`));
}

export interface PlanSpec {
  name: string;
  source: Cluster;
  nodes: Cluster[];
  db: string;
  extra?: string;
  /** copy.method; default: the COPY_METHOD environment variable, else the plan's default. */
  copyMethod?: string;
}

/** A plan whose passwords come from the environment, as the README tells users to write them. */
export function writePlan(dir: string, spec: PlanSpec): { file: string; env: Record<string, string> } {
  const env: Record<string, string> = { SOURCE_PASSWORD: spec.source.password };
  const tag = spec.name.replace(/-/g, '_');
  const lines = [
    '# yaml-language-server: $schema=../../schemas/plan.schema.json',
    'version: 1',
    `name: ${spec.name}`,
    'source:',
    `  dsn: postgresql://postgres:\${SOURCE_PASSWORD}@127.0.0.1:${spec.source.port}/${spec.db}`,
    'nodes:',
    ...spec.nodes.flatMap((n, i) => {
      env[`N${i + 1}_PASSWORD`] = n.password;
      return [`  - name: n${i + 1}`, `    dsn: host=127.0.0.1 port=${n.port} dbname=${spec.db} user=postgres password=\${N${i + 1}_PASSWORD}`];
    }),
    'replication:',
    ...spec.nodes.flatMap((_, i) => [`  - node: n${i + 1}`, `    publication: ${tag}_pub${i + 1}`, `    slot: ${tag}_slot${i + 1}`, `    subscription: ${tag}_sub${i + 1}`]),
    'dump:',
    '  jobs: 2',
    'restore:',
    '  jobs: 2',
    'catch_up:',
    '  timeout_seconds: 120',
    // COPY_METHOD=dump runs every test that writes its plan here under the dump copy (stream is the default).
    ...((spec.copyMethod ?? process.env.COPY_METHOD) ? ['copy:', `  method: ${spec.copyMethod ?? process.env.COPY_METHOD}`, '  jobs: 2'] : []),
    spec.extra ?? '',
  ];
  const file = join(dir, `${spec.name}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, env };
}

/** A test's own migration: its database on every cluster, the source's schema, and its plan. */
export interface Migration {
  db: string;
  dir: string;
  file: string;
  env: Record<string, string>;
}

/**
 * Starts the file's clusters before its tests and stops them after; `assign`
 * hands them to the file's variables (source first). Returns the setUp the
 * file's tests call for a migration of their own on those clusters.
 */
export function clustersForFile(names: string[], assign: (clusters: Cluster[]) => void, settings?: Record<string, string | number>): (name: string, opts?: { schema?: string; extraSql?: string; extra?: string; nodes?: Cluster[] }) => Promise<Migration> {
  let clusters: Cluster[] = [];
  beforeAll(async () => {
    clusters = await startClusters(names, settings);
    assign(clusters);
  });
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  });
  return (name, opts = {}) => setUpMigration(name, clusters[0], opts.nodes ?? clusters.slice(1), opts);
}

export async function setUpMigration(name: string, source: Cluster, nodes: Cluster[], opts: { schema?: string; extraSql?: string; extra?: string } = {}): Promise<Migration> {
  const db = name.replace(/-/g, '_');
  await Promise.all([source, ...nodes].map((c) => c.createDatabase(db)));
  await source.exec((opts.schema ?? SAMPLE_SCHEMA) + (opts.extraSql ?? ''), db);
  const dir = tempDir(name);
  const { file, env } = writePlan(dir, { name, source, nodes, db, extra: opts.extra });
  return { db, dir, file, env };
}

/** Names of the plan's slots and publications on the source (tag: the plan's name, its objects' prefix). */
export async function sourceObjects(source: Cluster, db: string, tag: string): Promise<string[]> {
  const slots = (await slotNames(source)).filter((s) => s.startsWith(tag)).map((s) => `slot ${s}`);
  const pubs = (await source.query<{ pubname: string }>('SELECT pubname FROM pg_publication ORDER BY 1', [], db)).map((r) => `publication ${r.pubname}`);
  return [...slots, ...pubs];
}

/** Whether the database takes a write from a new session: `probe` is one harmless INSERT. */
export async function takesWrite(c: Cluster, db: string, probe: string): Promise<boolean> {
  try {
    await c.exec(probe, db);
    return true;
  } catch {
    return false;
  }
}

/** One harmless INSERT into SAMPLE_SCHEMA, new every time. */
export const SAMPLE_PROBE = "INSERT INTO shop.customers (email) VALUES ('probe-' || clock_timestamp() || '@example.com')";

/** Whether a database of SAMPLE_SCHEMA takes a write from a new session. */
export const takesSampleWrite = (c: Cluster, db: string): Promise<boolean> => takesWrite(c, db, SAMPLE_PROBE);

/** Polls `ok` every `everyMs` until it holds; throws, naming `what`, after `ms`. */
export async function waitFor(what: string, ok: () => Promise<boolean>, ms = 30_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** One step of a fix as `status --json` prints it. */
export interface FixStep {
  on: string;
  kind: 'sql' | 'shell';
  text: string;
}

/** Waits until every slot of the database has confirmed the source position read once now. */
export async function waitForSlots(source: Cluster, db: string, timeoutMs = 60_000): Promise<void> {
  // The insert position, not pg_current_wal_lsn(): these clusters commit with synchronous_commit off, so
  // the last commit can still be in the WAL buffers, behind the write position, and a wait for that
  // would end before the node has it (the tool's catch-up and drain read the insert position too).
  const [{ lsn }] = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn', [], db);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await source.query<{ behind: number }>(
      `SELECT count(*)::int AS behind FROM pg_replication_slots s JOIN pg_database d ON d.datname = s.database
        WHERE s.database = $1 AND NOT s.temporary AND (s.confirmed_flush_lsn IS NULL OR s.confirmed_flush_lsn < $2::pg_lsn)`,
      [db, lsn],
      db,
    );
    if (rows[0].behind === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`slots of ${db} did not reach ${lsn} within ${timeoutMs} ms`);
}

export async function slotNames(source: Cluster): Promise<string[]> {
  return (await source.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots ORDER BY 1')).map((r) => r.slot_name);
}

let reportValidator: ((data: unknown) => boolean) & { errors?: unknown } | undefined;

/** report.json as schemas/report.schema.json describes it, or the errors why not. */
export async function reportProblems(report: unknown): Promise<unknown> {
  if (!reportValidator) {
    const { Ajv } = await import('ajv');
    reportValidator = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'report.schema.json'), 'utf8')));
  }
  return reportValidator(report) ? null : reportValidator.errors;
}

/**
 * A bin directory whose `program` starts the real one and then kills the
 * migrate process that called it (once: a marker file remembers), so a test
 * can cut a run off in the middle of that program: after `afterSeconds`, or,
 * with `untilSql`, as soon as that query returns true on the database the
 * program was given (--dbname=...), checked every 50 ms for up to 60 s.
 */
export function killingBinDir(dir: string, program: string, pgBin: string, opts: { afterSeconds?: number; untilSql?: string } = {}): string {
  const bin = join(dir, `bin-kill-${program}`);
  mkdirSync(bin, { recursive: true });
  for (const p of readdirSync(pgBin)) if (p !== program && !existsSync(join(bin, p))) symlinkSync(join(pgBin, p), join(bin, p));
  const marker = join(bin, 'killed');
  const wait = opts.untilSql
    ? `for a in "$@"; do case "$a" in --dbname=*) db="\${a#--dbname=}" ;; esac; done
  i=0
  while [ $i -lt 1200 ] && [ "$("${pgBin}/psql" -XAtq -d "$db" -c "${opts.untilSql.replace(/"/g, '\\"')}" 2>/dev/null)" != t ]; do sleep 0.05; i=$((i+1)); done`
    : `sleep ${opts.afterSeconds ?? 0.15}`;
  writeFileSync(
    join(bin, program),
    `#!/bin/sh
case "$*" in *--format=directory*) ;; *) exec "${pgBin}/${program}" "$@" ;; esac
if [ ! -e "${marker}" ]; then
  touch "${marker}"
  "${pgBin}/${program}" "$@" &
  ${wait}
  kill -9 $PPID
  wait
  exit 1
fi
exec "${pgBin}/${program}" "$@"
`,
  );
  chmodSync(join(bin, program), 0o755);
  return bin;
}

/** Whether a database takes no connection (ALLOW_CONNECTIONS false), read from the server's postgres database. */
export async function databaseClosed(c: Cluster, db: string): Promise<boolean> {
  return !(await c.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db], 'postgres'))[0].datallowconn;
}

/** A node a rollback left closed, opened to be looked at (it stays read-only for new sessions), as a DBA would from psql -d postgres. */
export async function openForReading(c: Cluster, db: string): Promise<void> {
  await c.query(`ALTER DATABASE "${db}" WITH ALLOW_CONNECTIONS true`, [], 'postgres');
}
