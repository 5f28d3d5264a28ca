// The DDL guard (plan: ddl.guard) on a real source: block refuses a hand-run
// ALTER TABLE and lets migrate ddl's setting through, warn records it, status
// and cutover stop on it until it is brought to the nodes, cutover and abort
// take the guard away, its table is never published, and a role that may not
// create event triggers gets a warning instead of a guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startClusters, PG_BIN, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, waitForSlots } from './support.js';
import { readRecordedDdl } from '../../src/pg/ddl-log.js';

let source: Cluster, n1: Cluster;

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

const SCHEMA = 'CREATE TABLE public.items (id int PRIMARY KEY, v text); INSERT INTO public.items SELECT g, md5(g::text) FROM generate_series(1, 100) g;';

async function setUp(name: string, extra: string, schema = SCHEMA, copyMethod?: string): Promise<{ db: string; dir: string; file: string; env: Record<string, string> }> {
  const db = name.replace(/-/g, '_');
  await Promise.all([source, n1].map((c) => c.createDatabase(db)));
  await source.exec(schema, db);
  const dir = tempDir(name);
  const { file, env } = writePlan(dir, { name, source, nodes: [n1], db, extra, copyMethod });
  return { db, dir, file, env };
}

/** A statement as a DBA types it into psql on the source: stdout and stderr together, and whether it failed. */
function psql(db: string, sql: string): { ok: boolean; text: string } {
  try {
    const text = execFileSync(join(PG_BIN, 'psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', '-d', db], {
      input: sql + '\n',
      env: { ...process.env, PGPASSWORD: source.password },
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { ok: true, text };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, text: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

async function guardOnSource(db: string): Promise<{ triggers: string[]; schema: boolean }> {
  const triggers = (await source.query<{ evtname: string }>("SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'pgedge\\_migrate\\_%' ORDER BY 1", [], db)).map((r) => r.evtname);
  const schema = (await source.query("SELECT FROM pg_namespace WHERE nspname = 'pgedge_migrate'", [], db)).length > 0;
  return { triggers, schema };
}

async function sourceReadOnly(db: string): Promise<boolean> {
  const rows = await source.query<{ setconfig: string[] }>("SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = $1)", [db]);
  return rows.some((r) => r.setconfig.includes('default_transaction_read_only=on'));
}

async function streaming(db: string): Promise<{ pid: number | null; errors: number }> {
  const [w] = await n1.query<{ pid: number | null }>('SELECT pid FROM pg_stat_subscription WHERE relid IS NULL', [], db);
  const [s] = await n1.query<{ errors: string }>('SELECT apply_error_count::text AS errors FROM pg_stat_subscription_stats', [], db);
  return { pid: w?.pid ?? null, errors: Number(s?.errors ?? 0) };
}

async function withSource<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: '127.0.0.1', port: source.port, user: 'postgres', password: source.password, database: db });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe.concurrent('the DDL guard (each test on a database of its own, at once)', () => {
  it('ddl.guard: block refuses a hand-run ALTER TABLE with the reason and migrate ddl; with the setting it passes and is recorded as brought; replication keeps running; abort removes the guard', async () => {
    const { db, dir, file, env } = await setUp('guard-block', 'ddl:\n  guard: block\n');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(await guardOnSource(db)).toEqual({ triggers: ['pgedge_migrate_ddl_guard_drop', 'pgedge_migrate_ddl_guard_end', 'pgedge_migrate_ddl_guard_start'], schema: true });
    // Nothing of the guard reached the node: it was installed after the dump.
    expect((await n1.query("SELECT FROM pg_namespace WHERE nspname = 'pgedge_migrate' UNION ALL SELECT FROM pg_event_trigger", [], db)).length).toBe(0);

    const refused = psql(db, 'ALTER TABLE public.items ADD COLUMN note text;');
    expect(refused.ok).toBe(false);
    expect(refused.text).toMatch(/ALTER TABLE refused on the source: DDL is blocked while migration guard-block streams to its nodes \(ddl\.guard: block\)/);
    expect(refused.text).toMatch(/migrate ddl PLAN -c/);
    expect((await source.query("SELECT FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'", [], db)).length).toBe(0);
    // So is a DROP, and a CREATE TABLE (decided once its objects are known); a temporary table is not the nodes' business.
    expect(psql(db, 'DROP TABLE public.items;').ok).toBe(false);
    expect(psql(db, 'CREATE TABLE public.other (id int);').ok).toBe(false);
    expect(psql(db, 'CREATE TEMP TABLE scratch (id int); ALTER TABLE scratch ADD COLUMN b int; DROP TABLE scratch;').ok).toBe(true);

    // Publications and subscriptions are not the nodes' schema (the tool's own cutover and abort statements are of this kind): they pass, unrecorded.
    const pubs = psql(db, "CREATE PUBLICATION extra_pub FOR TABLE public.items; COMMENT ON PUBLICATION extra_pub IS 'x'; ALTER PUBLICATION extra_pub SET (publish = 'insert'); DROP PUBLICATION extra_pub;");
    expect(pubs.ok, pubs.text).toBe(true);
    expect(await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: false }))).toEqual([]);

    // As migrate ddl does it: the nodes first, then the source in a session with the setting.
    await n1.exec('ALTER TABLE public.items ADD COLUMN note text', db);
    const passed = psql(db, "SET pgedge_migrate.ddl_change = 'change-1';\nALTER TABLE public.items ADD COLUMN note text;");
    expect(passed.ok, passed.text).toBe(true);
    const rows = await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: false }));
    expect(rows).toHaveLength(1);
    expect(rows![0]).toMatchObject({ role: 'postgres', command_tag: 'ALTER TABLE', object_identity: 'public.items', statement: 'ALTER TABLE public.items ADD COLUMN note text;', change: 'change-1' });
    expect(rows![0].brought_at).not.toBeNull();

    await source.exec("INSERT INTO public.items VALUES (101, 'x', 'with a note')", db);
    await waitForSlots(source, db);
    expect(await n1.query('SELECT note FROM public.items WHERE id = 101', [], db)).toEqual([{ note: 'with a note' }]);
    const s = await streaming(db);
    expect(s.pid).not.toBeNull();
    expect(s.errors).toBe(0);

    const abort = await runCli(['abort', file], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(abort.stdout).toMatch(/removed the DDL guard on the source/);
    expect(await guardOnSource(db)).toEqual({ triggers: [], schema: false });
    // DDL is the source's own again.
    expect(psql(db, 'CREATE TABLE public.after_abort (id int);').ok).toBe(true);
  });

  it('ddl.guard: warn records the statement; status exits 1 naming it and the fix; cutover refuses before freezing anything, then, once it is brought, cuts over and removes the guard', async () => {
    const { db, dir, file, env } = await setUp('guard-warn', 'ddl:\n  guard: warn\n');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const before = new Date(Date.now() - 1000).toISOString();

    const ran = psql(db, 'ALTER TABLE public.items ADD COLUMN note text;\nCREATE TEMP TABLE scratch (id int);');
    expect(ran.ok, ran.text).toBe(true);
    const [rec] = (await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: true })))!;
    expect(rec).toMatchObject({ role: 'postgres', command_tag: 'ALTER TABLE', object_schema: 'public', object_identity: 'public.items', statement: 'ALTER TABLE public.items ADD COLUMN note text;', change: null, brought_at: null });
    expect(await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: true }))).toHaveLength(1);
    expect(rec.at >= before && rec.at <= new Date().toISOString()).toBe(true);
    // The node gets the column by hand, so that the stream keeps running; the record stays pending until it is marked brought.
    await n1.exec('ALTER TABLE public.items ADD COLUMN note text', db);

    // The log is published by no publication, the plan's FOR ALL TABLES included, and writing to it troubles no apply worker.
    expect(await source.query<{ puballtables: boolean }>('SELECT puballtables FROM pg_publication', [], db)).toEqual([{ puballtables: true }]);
    expect(await source.query("SELECT pubname FROM pg_publication_tables WHERE schemaname = 'pgedge_migrate'", [], db)).toEqual([]);
    for (let i = 0; i < 5; i++) expect(psql(db, `CREATE INDEX items_v_${i} ON public.items (v);`).ok).toBe(true);
    await source.exec("INSERT INTO public.items VALUES (101, 'after the log grew')", db);
    await waitForSlots(source, db);
    expect(await n1.query('SELECT v FROM public.items WHERE id = 101', [], db)).toEqual([{ v: 'after the log grew' }]);
    expect(await streaming(db)).toMatchObject({ errors: 0 });
    expect((await streaming(db)).pid).not.toBeNull();

    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.code, status.stdout + status.stderr).toBe(1);
    expect(status.stdout).toMatch(/6 DDL statements were run on the source and not brought to the nodes/);
    expect(status.stdout).toContain(`#${rec.id}  ${rec.at}  postgres  ALTER TABLE public.items ADD COLUMN note text;`);
    expect(status.stdout).toContain(`migrate ddl ${file} --recorded ${rec.id}`);

    const refused = await runCli(['cutover', file], { cwd: dir, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/cutover refused: 6 DDL statements run on the source have not been brought to the nodes/);
    expect(refused.stderr).toContain(`migrate ddl ${file} --recorded ${rec.id}`);
    // Nothing was frozen or changed: the source takes writes, the stream runs, the guard stays.
    expect(await sourceReadOnly(db)).toBe(false);
    expect((await source.query('SELECT datallowconn FROM pg_database WHERE datname = $1', [db]))[0].datallowconn).toBe(true);
    const journal = JSON.parse(readFileSync(join(dir, '.migrate', 'guard-warn', 'journal.json'), 'utf8'));
    expect(journal.facts.freeze).toBeUndefined();
    expect(Object.keys(journal.tasks ?? {}).filter((k) => k === 'freeze' || k === 'ready')).toEqual([]);
    expect((await streaming(db)).pid).not.toBeNull();
    expect((await guardOnSource(db)).triggers).toHaveLength(2);

    // migrate ddl --recorded brings them: the column n1 already has is skipped there, the indexes are built, the records marked brought.
    const ids = (await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: true })))!.map((r) => r.id);
    const brought = await runCli(['ddl', file, '--recorded', ...ids], { cwd: dir, env });
    expect(brought.code, brought.stdout + brought.stderr).toBe(0);
    expect(await n1.query("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'items' AND indexname LIKE 'items_v_%'", [], db)).toEqual([{ n: 5 }]);
    expect(await withSource(db, (c) => readRecordedDdl(c, { pendingOnly: true }))).toEqual([]);
    const clean = await runCli(['status', file], { cwd: dir, env });
    expect(clean.stdout).not.toMatch(/not brought to the nodes/);

    const cut = await runCli(['cutover', file], { cwd: dir, env });
    expect(cut.code, cut.stdout + cut.stderr).toBe(0);
    expect(await guardOnSource(db)).toEqual({ triggers: [], schema: false });
    const report = readFileSync(join(dir, '.migrate', 'guard-warn', 'runs', readdirNewest(dir, 'guard-warn', 'cutover'), 'report.md'), 'utf8');
    expect(report).toMatch(/\| `remove-ddl-guard` \| succeeded \|/);
  });

  it.each(['dump', 'stream'])("copy.method %s: a dump of a source that still has an older run's guard (event triggers whose function is in the excluded schema) restores", async (method) => {
    const { db, dir, file, env } = await setUp(`guard-stale-${method}`, '', SCHEMA, method);
    // An older run's guard, left on the source.
    const { installGuardSql } = await import('../../src/render/ddl-guard.js');
    await source.exec(installGuardSql({ name: 'older' } as never, 'warn'), db);
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect((await n1.query("SELECT FROM pg_namespace WHERE nspname = 'pgedge_migrate' UNION ALL SELECT FROM pg_event_trigger", [], db)).length).toBe(0);
    expect(await n1.query('SELECT count(*)::int AS n FROM public.items', [], db)).toEqual([{ n: 100 }]);
    expect(await runCli(['abort', file], { cwd: dir, env })).toMatchObject({ code: 0 });
  });

  it('a role that may not create event triggers: check says so; apply warns loudly, runs without the guard, and the report says it too', async () => {
    const db = 'guard_norole';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'migrator') THEN CREATE ROLE migrator LOGIN REPLICATION PASSWORD '${source.password}'; END IF; END $$;`);
    // The restore gives the table to its owner: the node needs the role too.
    await n1.exec("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'migrator') THEN CREATE ROLE migrator; END IF; END $$;");
    // What the cutover's freeze needs of a role that is not a superuser (source.freeze_access): the database, and other sessions seen and ended.
    await source.exec(`ALTER DATABASE ${db} OWNER TO migrator; GRANT pg_read_all_stats, pg_signal_backend TO migrator; ${SCHEMA} ALTER TABLE public.items OWNER TO migrator;`, db);
    const dir = tempDir('guard-norole');
    const { file, env } = writePlan(dir, { name: 'guard-norole', source, nodes: [n1], db, extra: 'publish:\n  tables: [public.items]\nddl:\n  guard: block\n' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('postgresql://postgres:', 'postgresql://migrator:'));

    const check = await runCli(['check', file, '--json'], { cwd: dir, env });
    const findings = JSON.parse(check.stdout).findings as { id: string; severity: string; found: string }[];
    expect(findings.find((f) => f.id === 'source.ddl_guard_privilege')).toMatchObject({ severity: 'warning', found: expect.stringMatching(/role migrator is not a superuser: it may not create event triggers, so the DDL guard \(ddl\.guard: block\) will be off/) });

    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stderr).toMatch(/warning: ddl-guard: !! THE DDL GUARD IS OFF \(ddl\.guard: block in the plan\): the source refused its event trigger \(permission denied to create event trigger/);
    const report = JSON.parse(readFileSync(join(dir, '.migrate', 'guard-norole', 'runs', readdirNewest(dir, 'guard-norole', 'apply'), 'report.json'), 'utf8'));
    expect(JSON.stringify(report.warnings)).toMatch(/THE DDL GUARD IS OFF/);
    expect(await guardOnSource(db)).toEqual({ triggers: [], schema: false });
    // Without a guard, DDL goes through (drift detection is what notices it).
    expect(psql(db, 'CREATE TABLE public.unguarded (id int);').ok).toBe(true);
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/!! The DDL guard is OFF \(ddl\.guard: block\)/);
    expect(await runCli(['abort', file], { cwd: dir, env })).toMatchObject({ code: 0 });
  });
});

function readdirNewest(dir: string, plan: string, stage: string): string {
  const runs = execFileSync('ls', [join(dir, '.migrate', plan, 'runs')], { encoding: 'utf8' }).split('\n').filter((r) => r.includes(stage)).sort();
  return runs.at(-1)!;
}
