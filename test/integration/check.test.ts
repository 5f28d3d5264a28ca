// migrate check against real clusters: each finding the issue names is
// provoked on purpose and must come back with its fix; a clean setup passes.
// The clusters are shared; each test works in databases of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { startCluster, type Cluster } from '../harness/index.js';
import { loadPlan } from '../../src/plan/load.js';
import { runChecks, type Finding } from '../../src/check/run-checks.js';
import { checkCommand } from '../../src/cli/check.js';
import { UsageError } from '../../src/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

interface NodeSpec {
  cluster: Cluster;
  kind?: string;
  /** Overrides the port of this node's connection to the source (source_dsn). */
  sourcePort?: number;
  /** Overrides the port of the tool's connection to this node. */
  port?: number;
}

interface PlanSpec {
  name: string;
  db: string;
  source: Cluster;
  nodes: NodeSpec[];
  /** Source role and password: the superuser by default. */
  user?: string;
  password?: string;
  extra?: string;
}

let source: Cluster;
let n1: Cluster;
let n2: Cluster;
let replicaSource: Cluster;
let dir: string;
const env: Record<string, string> = {};

/** Passwords go through ${VAR}, as users are told to write them; `env` holds their values. */
function writePlan(spec: PlanSpec): string {
  const pw = (c: Cluster, user?: string, password?: string) => {
    const key = `PW_${spec.name.replace(/\W/g, '_').toUpperCase()}_${c.name.toUpperCase()}${user ? `_${user.toUpperCase()}` : ''}`;
    env[key] = password ?? c.password;
    return `\${${key}}`;
  };
  const user = spec.user ?? 'postgres';
  const lines = [
    'version: 1',
    `name: ${spec.name}`,
    'source:',
    `  dsn: postgresql://${user}:${pw(spec.source, spec.user, spec.password)}@127.0.0.1:${spec.source.port}/${spec.db}`,
    'nodes:',
    ...spec.nodes.flatMap((n, i) => [
      `  - name: n${i + 1}`,
      `    dsn: host=127.0.0.1 port=${n.port ?? n.cluster.port} dbname=${spec.db} user=postgres password=${pw(n.cluster)} connect_timeout=5`,
      ...(n.kind ? [`    kind: ${n.kind}`] : []),
      ...(n.sourcePort ? [`    source_dsn: postgresql://postgres:${pw(spec.source)}@127.0.0.1:${n.sourcePort}/${spec.db}`] : []),
    ]),
    'replication:',
    ...spec.nodes.flatMap((_, i) => [`  - node: n${i + 1}`, `    publication: ${spec.db}_pub${i + 1}`, `    slot: ${spec.db}_slot${i + 1}`, `    subscription: ${spec.db}_sub${i + 1}`]),
    spec.extra ?? '',
  ];
  const file = join(dir, `${spec.name}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function check(file: string, skip?: string[]): Promise<Finding[]> {
  const findings = await runChecks(loadPlan(file, { ...process.env, ...env }), { skip });
  // A check whose own query failed reports that instead of its finding: never expected here.
  expect(findings.filter((f) => f.found.startsWith('could not be checked'))).toEqual([]);
  return findings;
}

/** checkCommand as the CLI calls it, with its output captured. */
async function command(file: string, opts: Parameters<typeof checkCommand>[1], githubActions = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  // The tests may themselves run under GitHub Actions: the default format is decided here.
  Object.assign(process.env, env, { GITHUB_ACTIONS: githubActions ? 'true' : '' });
  try {
    const code = await checkCommand(file, opts, (s) => void (out += s), (s) => void (err += s));
    return { code, out, err };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const errors = (fs: Finding[]) => fs.filter((f) => f.severity === 'error');
const one = (fs: Finding[], id: string, target?: string): Finding => {
  const hits = fs.filter((f) => f.id === id && (target === undefined || f.target === target));
  expect(hits, `${id}${target ? ` on ${target}` : ''} in ${JSON.stringify(fs, null, 1)}`).toHaveLength(1);
  return hits[0];
};

/** Empty databases of one name on the source and both nodes; the source gets `sql`. */
async function databases(db: string, sql: string): Promise<void> {
  await Promise.all([source.createDatabase(db), n1.createDatabase(db), n2.createDatabase(db)]);
  if (sql) await source.exec(sql, db);
}

/** The clean databases, made once for whichever test needs them first. */
let cleanReady: Promise<void> | undefined;
function cleanDatabases(): Promise<void> {
  cleanReady ??= (async () => {
    await databases('clean', CLEAN_SCHEMA);
    await n1.exec('CREATE EXTENSION dblink', 'clean');
    await replicaSource.createDatabase('clean');
    await replicaSource.exec(CLEAN_SCHEMA, 'clean');
  })();
  return cleanReady;
}

const CLEAN_SCHEMA = `
  CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE ledger (account_id bigint REFERENCES accounts, at timestamptz, amount numeric, PRIMARY KEY (account_id, at));
  INSERT INTO accounts (name) SELECT 'a' || g FROM generate_series(1, 100) g;
`;

describe('migrate check', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pgm-check-'));
    [source, n1, n2, replicaSource] = await Promise.all([
      startCluster({ name: 'source' }),
      startCluster({ name: 'n1' }),
      startCluster({ name: 'n2' }),
      startCluster({ name: 'replica', settings: { wal_level: 'replica' } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([source, n1, n2, replicaSource].map((c) => c?.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a clean setup reports no error, tests the node-to-source connection with dblink, and exits 0', async () => {
    await cleanDatabases();
    const file = writePlan({ name: 'clean', db: 'clean', source, nodes: [{ cluster: n1 }, { cluster: n2 }] });
    const findings = await check(file);
    expect(errors(findings)).toEqual([]);
    expect(findings.filter((f) => f.severity === 'warning')).toEqual([]);
    expect(one(findings, 'source.version').found).toMatch(/^PostgreSQL 15/);
    expect(one(findings, 'source.sequences').found).toMatch(/^1 sequence: handled at cutover/);
    one(findings, 'source.ddl');
    // n1 has dblink and reached the source: nothing to report; n2 cannot test it and says so.
    expect(findings.filter((f) => f.id === 'node.reaches_source' && f.target === 'n1')).toEqual([]);
    expect(one(findings, 'node.reaches_source', 'n2')).toMatchObject({ severity: 'info', found: expect.stringMatching(/cannot be tested from n2: the dblink extension/) });
    expect(one(findings, 'tools.pg_dump').found).toMatch(/pg_dump \(PostgreSQL\) 15/);
    expect(one(findings, 'tools.dump_disk').severity).toBe('info');

    const json = await command(file, { json: true });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).ok).toBe(true);
    const table = await command(file, {});
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/0 errors, 0 warnings, \d+ notes\. Nothing was changed on any database\./);
    for (const c of [source, n1, n2]) {
      expect(json.out).not.toContain(c.password);
      expect(table.out).not.toContain(c.password);
    }
    // Nothing was created anywhere.
    expect(await source.query("SELECT 1 FROM pg_publication UNION ALL SELECT 1 FROM pg_replication_slots WHERE database = 'clean'")).toEqual([]);
    expect(await n1.query('SELECT 1 FROM pg_subscription')).toEqual([]);
  });

  it('the real CLI exits 0 on a clean setup and 1 on an error, and prints no password', async () => {
    await cleanDatabases();
    expect(existsSync(CLI)).toBe(true);
    const clean = writePlan({ name: 'cli-clean', db: 'clean', source, nodes: [{ cluster: n1 }, { cluster: n2 }] });
    const ok = await execa(process.execPath, [CLI, 'check', clean], { env: { ...env, GITHUB_ACTIONS: '' }, reject: false });
    expect(ok.stderr).toBe('');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('No errors: the plan can be applied.');
    const bad = writePlan({ name: 'cli-bad', db: 'clean', source: replicaSource, nodes: [{ cluster: n1 }] });
    const failed = await execa(process.execPath, [CLI, 'check', bad, '--format', 'github'], { env, reject: false });
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/^::error file=[^,]*cli-bad\.yaml,title=source.wal_level \(source\)::wal_level is replica%0A/m);
    for (const c of [replicaSource, n1]) expect(failed.stdout + failed.stderr).not.toContain(c.password);
    const invalid = await execa(process.execPath, [CLI, 'check', bad, '--skip-check', 'source.wal_levle'], { env, reject: false });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain('did you mean source.wal_level?');
  });

  it('a source with wal_level = replica is an error whose fix sets wal_level = logical', async () => {
    await replicaSource.createDatabase('walrep');
    await replicaSource.exec('CREATE TABLE t (id int PRIMARY KEY)', 'walrep');
    await n1.createDatabase('walrep');
    const file = writePlan({ name: 'walrep', db: 'walrep', source: replicaSource, nodes: [{ cluster: n1 }] });
    const findings = await check(file);
    const f = one(findings, 'source.wal_level');
    expect(f).toMatchObject({ severity: 'error', target: 'source', found: 'wal_level is replica' });
    expect(f.fix).toContain('ALTER SYSTEM SET wal_level = logical;');
    expect(f.fix).toContain('rds.logical_replication');

    const table = await command(file, {});
    expect(table.code).toBe(1);
    expect(table.out).toMatch(/^ERROR +source\.wal_level +source +wal_level is replica\n/m);
    expect(table.out).toMatch(/^ +fix: ALTER SYSTEM SET wal_level = logical;/m);
    // Under GitHub Actions the default is annotations.
    const gh = await command(file, {}, true);
    expect(gh.code).toBe(1);
    expect(gh.out).toMatch(/^::error file=.*walrep\.yaml,title=source.wal_level \(source\)::wal_level is replica%0A.*%0AFix: ALTER SYSTEM SET wal_level = logical;/m);

    const skipped = await command(file, { json: true, skipCheck: ['source.wal_level'] });
    expect(skipped.code).toBe(0);
    const report = JSON.parse(skipped.out) as { ok: boolean; findings: Finding[] };
    expect(report.ok).toBe(true);
    expect(one(report.findings, 'source.wal_level')).toMatchObject({ severity: 'info', found: 'wal_level is replica (skipped by --skip-check)' });
  });

  it('a published table with no key and no replica identity is named, with its ALTER TABLE ... REPLICA IDENTITY fix', async () => {
    await databases(
      'nokey',
      `CREATE TABLE events (at timestamptz, note text);
       CREATE TABLE codes (code text NOT NULL, label text, CONSTRAINT codes_code_key UNIQUE (code));
       CREATE TABLE "Mixed Case" (v int);
       CREATE TABLE keyed (id int PRIMARY KEY);
       CREATE TABLE fulls (v int); ALTER TABLE fulls REPLICA IDENTITY FULL;
       CREATE TABLE keyfull (id int PRIMARY KEY); ALTER TABLE keyfull REPLICA IDENTITY FULL;`,
    );
    const file = writePlan({ name: 'nokey', db: 'nokey', source, nodes: [{ cluster: n1, kind: 'pgedge' }] });
    const findings = await check(file);
    const f = one(findings, 'source.replica_identity');
    expect(f.severity).toBe('error');
    expect(f.found).toContain('3 published tables without a primary key or usable replica identity');
    expect(f.found).toContain('public.events');
    expect(f.found).toContain('public.codes');
    expect(f.found).toContain('public."Mixed Case"');
    expect(f.found).not.toContain('keyed');
    expect(f.found).not.toContain('fulls');
    expect(f.fix).toContain('ALTER TABLE public.codes REPLICA IDENTITY USING INDEX codes_code_key;');
    expect(f.fix).toContain('ALTER TABLE public.events ADD PRIMARY KEY (<columns>);  -- or, heavier on every update and delete: ALTER TABLE public.events REPLICA IDENTITY FULL;');
    expect(f.fix).toContain('ALTER TABLE public."Mixed Case" ADD PRIMARY KEY');
    // For a pgEdge node, FULL is not enough either, and the fix says so per table.
    const mm = one(findings, 'source.multimaster_keys');
    expect(mm.severity).toBe('warning');
    expect(mm.found).toContain('5 tables without a primary key or with REPLICA IDENTITY FULL');
    expect(mm.found).toContain('public.fulls (no primary key)');
    expect(mm.found).toContain('public.keyfull (REPLICA IDENTITY FULL)');
    expect(mm.fix).toContain('ALTER TABLE public.keyfull REPLICA IDENTITY DEFAULT;');
    expect(mm.fix).toContain('ALTER TABLE public.codes ADD PRIMARY KEY USING INDEX codes_code_key;');
    // A pgedge node without Spock is an error of its own.
    expect(one(findings, 'node.spock', 'n1')).toMatchObject({ severity: 'error', found: 'the spock extension is not installed on this server' });
    expect(one(findings, 'node.multimaster_settings', 'n1').found).toContain('track_commit_timestamp is off');
  });

  it('a role without REPLICATION is an error whose fix grants it, and its password never shows', async () => {
    const password = 'Migrator-Secret-9f3';
    await databases('norepl', 'CREATE TABLE items (id int PRIMARY KEY); CREATE TABLE hidden (id int PRIMARY KEY);');
    await source.exec(`CREATE ROLE migrator LOGIN PASSWORD '${password}'; GRANT SELECT ON items TO migrator;`, 'norepl');
    const file = writePlan({ name: 'norepl', db: 'norepl', source, user: 'migrator', password, nodes: [{ cluster: n1 }] });
    const findings = await check(file);
    const f = one(findings, 'source.replication_role');
    expect(f).toMatchObject({ severity: 'error', found: 'role migrator (source.dsn) has neither REPLICATION nor superuser' });
    expect(f.fix).toBe('ALTER ROLE migrator REPLICATION;');
    // The same role may not publish every table, nor read them all.
    const publish = findings.filter((x) => x.id === 'source.publication_privilege').map((x) => x.found);
    expect(publish).toEqual(['role migrator may not create in database norepl', 'role migrator is not a superuser, and the plan publishes every table (FOR ALL TABLES)']);
    const sel = one(findings, 'source.select_privilege');
    expect(sel.found).toContain('public.hidden');
    expect(sel.fix).toContain('GRANT SELECT ON public.hidden TO migrator;');

    const out = await command(file, {});
    expect(out.code).toBe(1);
    expect(out.out).toContain('ALTER ROLE migrator REPLICATION;');
    expect(out.out + out.err).not.toContain(password);
  });

  it('a node already holding a published table is an error naming it; the other node is still checked', async () => {
    await databases('busy', 'CREATE TABLE orders (id int PRIMARY KEY); CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int PRIMARY KEY);');
    await n1.exec('CREATE TABLE orders (id int PRIMARY KEY, other text)', 'busy');
    const file = writePlan({ name: 'busy', db: 'busy', source, nodes: [{ cluster: n1 }, { cluster: n2 }] });
    const findings = await check(file);
    const f = one(findings, 'node.existing_objects', 'n1');
    expect(f.severity).toBe('error');
    expect(f.found).toBe('already holds 1 table (public.orders) that the restore would create');
    expect(f.fix).toContain('DROP TABLE public.orders;');
    expect(f.fix).toContain('--drop-data');
    expect(findings.filter((x) => x.id === 'node.existing_objects' && x.target === 'n2')).toEqual([]);

    // The same node, with a schema the restore creates, and an unreachable third node: still one finding each, no crash.
    await n2.exec('CREATE SCHEMA billing', 'busy');
    const three = writePlan({ name: 'busy3', db: 'busy', source, nodes: [{ cluster: n1 }, { cluster: n2 }, { cluster: n2, port: 1 }] });
    const again = await check(three);
    expect(one(again, 'node.existing_objects', 'n2').found).toBe('already holds 1 schema (billing) that the restore would create');
    expect(one(again, 'node.reachable', 'n3')).toMatchObject({ severity: 'error', found: expect.stringContaining('cannot connect to node n3 (127.0.0.1:1/busy)') });
    expect(one(again, 'node.version', 'n1').severity).toBe('info');
  });

  it('a leftover slot with a name the plan uses is an error whose fix drops it', async () => {
    await databases('leftover', 'CREATE TABLE t (id int PRIMARY KEY)');
    await source.query("SELECT pg_create_logical_replication_slot('leftover_slot1', 'pgoutput')", [], 'leftover');
    await source.query("SELECT pg_create_logical_replication_slot('someone_elses', 'pgoutput')", [], 'leftover');
    try {
      const file = writePlan({ name: 'leftover', db: 'leftover', source, nodes: [{ cluster: n1 }] });
      const findings = await check(file);
      const f = one(findings, 'source.existing_slots');
      expect(f.severity).toBe('error');
      expect(f.found).toMatch(/^slot leftover_slot1 \(logical pgoutput, database leftover, inactive, holding .* of WAL, reserved\) already exists on the source$/);
      expect(f.fix).toContain("SELECT pg_drop_replication_slot('leftover_slot1');");
      expect(f.fix).toContain('migrate abort');
      // Someone else's inactive slot is named as holding WAL, not as the plan's.
      const other = one(findings, 'source.inactive_slots');
      expect(other.severity).toBe('warning');
      expect(other.found).toContain('someone_elses');
      expect(other.found).not.toContain('leftover_slot1');

      // Once this plan's own apply has journaled the slot, it is the apply's to resume with, not a leftover.
      const state = join(dir, '.migrate', 'leftover');
      mkdirSync(state, { recursive: true });
      const now = new Date().toISOString();
      const task = { status: 'done', started_at: now, finished_at: now, attempts: 1 };
      writeFileSync(join(state, 'journal.json'), JSON.stringify({ version: 1, plan: 'leftover', created_at: now, updated_at: now, tasks: { 'publication:n1': task, 'slot:n1': task }, facts: {}, completed: {} }));
      const resumed = await check(file);
      expect(one(resumed, 'source.existing_slots')).toMatchObject({ severity: 'info', found: expect.stringContaining("created by this plan's apply") });
      expect(errors(resumed)).toEqual([]);
    } finally {
      await source.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('leftover_slot1', 'someone_elses')");
    }
  });

  it('a pg_dump older than the source, found through tools.bin_dir, is an error whose fix names the right version', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'pgm-oldbin-'));
    writeFileSync(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.0"\n');
    chmodSync(join(bin, 'pg_dump'), 0o755);
    await databases('oldtools', 'CREATE TABLE t (id int PRIMARY KEY)');
    const file = writePlan({ name: 'oldtools', db: 'oldtools', source, nodes: [{ cluster: n1 }], extra: `tools:\n  bin_dir: ${bin}\n` });
    const findings = await check(file);
    const f = one(findings, 'tools.pg_dump');
    expect(f).toMatchObject({ severity: 'error', target: 'tools' });
    expect(f.found).toMatch(/^pg_dump \(PostgreSQL\) 9\.6\.0 \(.*\/pg_dump\) is older than the source's PostgreSQL 15\./);
    expect(f.fix).toContain('/usr/lib/postgresql/15/bin');
    expect(f.fix).toContain(`tools.bin_dir is ${bin} now`);
    // The same directory has no pg_restore at all.
    expect(one(findings, 'tools.pg_restore')).toMatchObject({ severity: 'error', found: `pg_restore at ${join(bin, 'pg_restore')}: not found` });
    rmSync(bin, { recursive: true, force: true });
  });

  it("a node that cannot reach the source with its subscription's connection string is an error (tested with dblink)", async () => {
    await databases('noreach', 'CREATE TABLE t (id int PRIMARY KEY)');
    await n1.exec('CREATE EXTENSION dblink', 'noreach');
    const file = writePlan({ name: 'noreach', db: 'noreach', source, nodes: [{ cluster: n1, sourcePort: 1 }] });
    const findings = await check(file);
    const f = one(findings, 'node.reaches_source', 'n1');
    expect(f.severity).toBe('error');
    expect(f.found).toMatch(/^n1 cannot connect to the source with its subscription's connection string: .*(refused|could not establish)/is);
    expect(JSON.stringify(findings)).not.toContain(source.password);
  });

  it('publish.schemas and publish.tables narrow every check to what they publish', async () => {
    await databases(
      'narrow',
      `CREATE SCHEMA app; CREATE TABLE app.t1 (id serial PRIMARY KEY); CREATE UNLOGGED TABLE app.u (id int PRIMARY KEY);
       CREATE TABLE public.other (v int);`,
    );
    await n1.exec('CREATE TABLE public.other (v int)', 'narrow');
    const tables = await check(writePlan({ name: 'narrow-tables', db: 'narrow', source, nodes: [{ cluster: n1 }], extra: 'publish:\n  tables: [app.t1, app.u, app.missing]\n' }));
    expect(one(tables, 'source.published_tables')).toMatchObject({ severity: 'error', found: expect.stringContaining('does not have (or not as a table): app.missing') });
    expect(one(tables, 'source.unlogged_tables')).toMatchObject({ severity: 'error', fix: expect.stringContaining('ALTER TABLE app.u SET LOGGED;') });
    expect(one(tables, 'source.sequences').found).toMatch(/^1 sequence/);
    const schemas = await check(writePlan({ name: 'narrow-schemas', db: 'narrow', source, nodes: [{ cluster: n1 }], extra: 'publish:\n  schemas: [app]\n' }));
    expect(one(schemas, 'source.unlogged_tables').severity).toBe('warning');
    for (const fs of [tables, schemas]) {
      // public.other has no key and exists on n1, but is not published.
      expect(fs.filter((f) => f.id === 'source.replica_identity' || f.id === 'node.existing_objects')).toEqual([]);
    }
  });

  it('an unknown --skip-check name is refused with the nearest name', async () => {
    await cleanDatabases();
    const file = writePlan({ name: 'skipname', db: 'clean', source, nodes: [{ cluster: n1 }] });
    await expect(check(file, ['node.existing_object'])).rejects.toThrow(UsageError);
    await expect(check(file, ['node.existing_object'])).rejects.toThrow('did you mean node.existing_objects?');
  });
});
