// migrate ddl during streaming, under a write load, on one apply shared by
// every case: refused statements change nothing; ADD COLUMN with a default,
// CREATE TABLE with rows written on the source all along, CREATE INDEX
// CONCURRENTLY and DROP COLUMN keep every apply worker running; a run killed
// between the nodes and the source finishes on a rerun, nothing twice; and
// the cutover afterwards is exact, data and schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster, type WriteLoad } from '../harness/index.js';
import { execa } from 'execa';
import { runCli, tempDir, writePlan, waitForSlots, reportProblems, CLI, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';
import { changeId } from '../../src/ddl/ddl-graph.js';

let source: Cluster, n1: Cluster, n2: Cluster;
let dir: string, file: string, env: Record<string, string>;
let load: WriteLoad | undefined;
let refundWriter: { stop(): Promise<number> } | undefined;
const db = 'ddl_live';
const NAME = 'ddl-live';

/** The database's pg_dump --schema-only, less the tool's own schema and the per-run \restrict key. */
function schemaDump(c: Cluster): string {
  const text = execFileSync(join(PG_BIN, 'pg_dump'), ['--schema-only', '--no-publications', '--no-subscriptions', '--exclude-schema=pgedge_migrate', `--dbname=${c.dsn(db)}`], { encoding: 'utf8' });
  return text.replace(/^\\(un)?restrict .*$/gm, '');
}

function lastReport(): Record<string, any> {
  const runs = join(dir, '.migrate', NAME, 'runs');
  const last = readdirSync(runs).filter((r) => r.endsWith('-ddl')).sort().pop()!;
  return JSON.parse(readFileSync(join(runs, last, 'report.json'), 'utf8'));
}

interface Worker {
  node: string;
  pid: number | null;
  errors: number;
}

/** Each node's apply worker and its error count: a worker that restarted has another pid, one that failed counts it. */
async function workers(): Promise<Worker[]> {
  const out: Worker[] = [];
  for (const [i, n] of [n1, n2].entries()) {
    const sub = `ddl_live_sub${i + 1}`;
    const [w] = await n.query<{ pid: number | null }>('SELECT pid FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL', [sub], db);
    const [s] = await n.query<{ errors: number }>('SELECT apply_error_count::int AS errors FROM pg_stat_subscription_stats WHERE subname = $1', [sub], db);
    out.push({ node: n.name, pid: w?.pid ?? null, errors: s?.errors ?? -1 });
  }
  return out;
}

/** Inserts into shop.refunds on the source every few ms, from before the table exists until stopped: rows land before, during and after its publication and table sync. */
function writeRefunds(): { stop(): Promise<number> } {
  let stopped = false;
  let written = 0;
  const loop = (async () => {
    for (let i = 1; !stopped; i++) {
      try {
        await source.exec(`INSERT INTO shop.refunds (id, order_id, amount) VALUES (${i}, ${i % 500 + 1}, ${i}.25)`, db);
        written++;
      } catch {
        i--;
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return written;
    },
  };
}

async function ddl(args: string[], extraEnv: Record<string, string> = {}) {
  return runCli(['ddl', file, ...args], { cwd: dir, env: { ...env, ...extraEnv } });
}

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA, db);
  dir = tempDir('ddl');
  ({ file, env } = writePlan(dir, { name: NAME, source, nodes: [n1, n2], db, extra: 'cutover:\n  vacuum: false\n' }));
  const applied = await runCli(['apply', file], { cwd: dir, env });
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
}, 180_000);

afterAll(async () => {
  await refundWriter?.stop().catch(() => undefined);
  await load?.stop().catch(() => undefined);
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

describe('migrate ddl while the nodes stream under a write load', () => {
  it('refuses a rename, a volatile default and what the catalogs forbid before anything runs: exit 2, the statement and the manual procedure named, nothing changed anywhere; in a terminal it asks first', async () => {
    const before = await Promise.all([source, n1, n2].map(schemaDump));
    const rename = await ddl(['-c', 'ALTER TABLE shop.orders RENAME COLUMN status TO state']);
    expect(rename.code, rename.stderr).toBe(2);
    expect(rename.stderr).toContain('refused statement 1: ALTER TABLE shop.orders RENAME COLUMN status TO state');
    expect(rename.stderr).toMatch(/why: a rename.*\n {2}instead: Add the new column/);
    expect(rename.stderr).toContain('Nothing was changed on the source or any node.');
    const volatile = await ddl(['-c', 'ALTER TABLE shop.orders ADD COLUMN seen_at timestamptz DEFAULT now()']);
    expect(volatile.code, volatile.stderr).toBe(2);
    expect(volatile.stderr).toMatch(/refused statement 1: ALTER TABLE shop\.orders ADD COLUMN seen_at timestamptz DEFAULT now\(\)\n {2}why: column seen_at gets its default from an expression each server evaluates on its own: every existing row would get a different value on each server/);
    expect(volatile.stderr).toMatch(/instead: Add the column without a default through `migrate ddl`.*SET DEFAULT.*backfill the existing rows with UPDATE on the source only/);
    // Narrowing is judged against the source's catalog.
    const narrow = await ddl(['-c', 'ALTER TABLE shop.orders ALTER COLUMN total TYPE numeric(8,2)']);
    expect(narrow.code, narrow.stderr).toBe(2);
    expect(narrow.stderr).toMatch(/numeric\(12,2\) to numeric\(8,2\) could round or refuse values/);
    // What only the catalogs tell: the key the replica identity needs, a column a node could not take rows without.
    const key = await ddl(['-c', 'ALTER TABLE shop.orders DROP COLUMN id']);
    expect(key.code, key.stderr).toBe(2);
    expect(key.stderr).toMatch(/column id of shop\.orders is in its primary key or replica identity/);
    const required = await ddl(['-c', 'ALTER TABLE shop.order_items DROP COLUMN sku']);
    expect(required.code, required.stderr).toBe(2);
    expect(required.stderr).toMatch(/column sku of shop\.order_items is NOT NULL without a default on n1: once the source drops it, the rows it sends could not be inserted there/);
    // Only between a finished apply and the cutover: a state directory without one has no stream to keep running.
    const early = await ddl(['--state-dir', join(dir, 'elsewhere'), '-c', 'ALTER TABLE shop.orders ADD COLUMN x int']);
    expect(early.code, early.stderr).toBe(2);
    expect(early.stderr).toMatch(/`migrate apply .*` has not completed .*\nBefore apply, change the source alone/);
    // Without the guard on the source there is no record to bring.
    const recorded = await ddl(['--recorded', '1']);
    expect(recorded.code, recorded.stderr).toBe(2);
    expect(recorded.stderr).toMatch(/the DDL guard is not installed on the source.*\nGive the statement with -c/);
    expect(rename.stderr + volatile.stderr + narrow.stderr).not.toMatch(/at .*\.js:\d+|password|Secret/i);
    // In a terminal it says what it will do and asks; no is no.
    const { CI: _ci, GITHUB_ACTIONS: _gh, ...noCi } = process.env;
    const asked = await execa('script', ['-qec', [process.execPath, CLI, 'ddl', file, '-c', 'ALTER TABLE shop.orders ADD COLUMN asked int'].map((a) => `'${a}'`).join(' '), '/dev/null'], { input: 'n\n', env: { ...noCi, ...env }, extendEnv: false, reject: false, timeout: 60_000, cwd: dir });
    expect(asked.stdout).toMatch(/will:\r?\n {2}- on every node, then on the source: ALTER TABLE shop\.orders ADD COLUMN asked int/);
    expect(asked.stdout).toContain('Apply the change now? [y/N]');
    expect(asked.stdout).toContain('Not applied: nothing was changed.');
    expect(asked.exitCode).toBe(1);
    expect(await Promise.all([source, n1, n2].map(schemaDump))).toEqual(before);
    const journal = JSON.parse(readFileSync(join(dir, '.migrate', NAME, 'journal.json'), 'utf8'));
    expect(Object.keys(journal.tasks).filter((t) => t.startsWith('ddl:'))).toEqual([]);
  });

  it('a statement the nodes refuse fails the run (exit 1) before the source: where each target stands, and to run it again', async () => {
    const failed = await ddl(['-c', 'CREATE TABLE nowhere.t (id int PRIMARY KEY)']);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/n1 said: schema "nowhere" does not exist/);
    expect(failed.stderr).toMatch(/Where each statement stands: statement 1 \(create-table\): n1 failed, n2 (failed|interrupted|not done), source not done\. Run the same command again/);
    expect(failed.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(await source.query("SELECT 1 FROM pg_namespace WHERE nspname = 'nowhere'", [], db)).toEqual([]);
  });

  it('applies ADD COLUMN with a default, CREATE TABLE (rows written all along), CREATE INDEX CONCURRENTLY and DROP COLUMN without stopping any apply worker', async () => {
    const start = await workers();
    expect(start.every((w) => w.pid !== null && w.errors === 0), JSON.stringify(start)).toBe(true);

    const dry = await ddl(['--dry-run', '-c', "ALTER TABLE shop.orders ADD COLUMN note text NOT NULL DEFAULT 'none'"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/\[ddl:\w{12}:1:n1\][\s\S]*\[ddl:\w{12}:1:source\][\s\S]*SET pgedge_migrate\.ddl_change = '\w{12}';[\s\S]*ALTER TABLE shop\.orders ADD COLUMN note text NOT NULL DEFAULT 'none';/);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    for (const secret of Object.values(env)) expect(dry.stdout + dry.stderr).not.toContain(secret);
    expect(await n1.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'shop.orders'::regclass AND attname = 'note'", [], db)).toEqual([]);

    // Two statements, one change: each on the nodes, then on the source, one after the other.
    const add = await ddl(['-c', "ALTER TABLE shop.orders ADD COLUMN note text NOT NULL DEFAULT 'none';\nCREATE INDEX CONCURRENTLY orders_note ON shop.orders (note);"]);
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const report = lastReport();
    expect(await reportProblems(report)).toBeNull();
    expect(report.ddl.statements[0]).toMatchObject({ kind: 'additive', action: 'add-column', targets: { n1: 'done', n2: 'done', source: 'done' } });
    expect(report.ddl.statements[1]).toMatchObject({ kind: 'additive', action: 'create-index', targets: { n1: 'done', n2: 'done', source: 'done' } });
    // The nodes had it before the source: their DDL finished before the source's started.
    const task = (id: string) => report.tasks.find((t: { id: string }) => t.id.endsWith(id));
    expect(Date.parse(task(':1:source').started_at)).toBeGreaterThanOrEqual(Date.parse(task(':1:n1').finished_at));
    expect(Date.parse(task(':2:n1').started_at)).toBeGreaterThanOrEqual(Date.parse(task(':1:source').finished_at));
    for (const c of [source, n1, n2]) expect(await c.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.orders_note'::regclass", [], db)).toEqual([{ indisvalid: true }]);

    refundWriter = writeRefunds();
    await new Promise((r) => setTimeout(r, 300));
    const create = await ddl(['-c', 'CREATE TABLE shop.refunds (id bigint PRIMARY KEY, order_id bigint NOT NULL, amount numeric(12,2) NOT NULL)']);
    expect(create.code, create.stdout + create.stderr).toBe(0);
    expect(lastReport().tasks.find((t: { id: string }) => t.id.endsWith(':sync:n2')).summary).toMatch(/shop\.refunds copied and ready on n2/);
    for (const n of [n1, n2]) {
      expect(await n.query("SELECT sr.srsubstate FROM pg_subscription_rel sr WHERE sr.srrelid = 'shop.refunds'::regclass", [], db)).toEqual([{ srsubstate: 'r' }]);
    }

    const drop = await ddl(['-c', 'ALTER TABLE shop.customers DROP COLUMN created_at']);
    expect(drop.code, drop.stdout + drop.stderr).toBe(0);
    const dropReport = lastReport();
    expect(dropReport.tasks.map((t: { id: string }) => t.id.replace(/^ddl:\w+:/, ''))).toEqual(['1:source', '1:confirm', '1:n1', '1:n2']);
    expect(dropReport.tasks.find((t: { id: string }) => t.id.endsWith(':confirm')).summary).toMatch(/every node confirmed/);

    await new Promise((r) => setTimeout(r, 500));
    const end = await workers();
    expect(end, 'the apply workers kept running, with no error').toEqual(start);
  });

  it('killed (SIGKILL) after the nodes\' DDL and before the source\'s, run again: it completes, nothing applied twice; an invalid index left on a node is built again', async () => {
    const sql = 'ALTER TABLE shop.orders ADD COLUMN channel text DEFAULT \'web\'';
    const id = changeId(sql);
    const killed = await ddl(['-c', sql], { PGEDGE_MIGRATE_TEST_KILL_AFTER: `ddl:${id}:1:n2` });
    expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
    const has = async (c: Cluster) => (await c.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'shop.orders'::regclass AND attname = 'channel' AND NOT attisdropped", [], db)).length === 1;
    // The nodes run at the same time: n1 may or may not have finished when n2's kill came.
    expect([await has(n2), await has(source)]).toEqual([true, false]);
    const journal = JSON.parse(readFileSync(join(dir, '.migrate', NAME, 'journal.json'), 'utf8'));
    expect(journal.tasks[`ddl:${id}:1:n2`].status).toBe('started');

    const again = await ddl(['-c', sql]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const report = lastReport();
    expect(report.ddl.statements[0].targets).toMatchObject({ n2: 'already there', source: 'done' });
    expect(['already there', 'done']).toContain(report.ddl.statements[0].targets.n1);
    expect([await has(n1), await has(n2), await has(source)]).toEqual([true, true, true]);
    expect(report.tasks.find((t: { id: string }) => t.id === `ddl:${id}:1:n2`).summary).toBe('already there on n2: not run again');
    expect(await has(source)).toBe(true);
    const third = await ddl(['-c', sql]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Nothing to do');

    // What a killed CREATE INDEX CONCURRENTLY leaves on a node (an invalid index of that name) is dropped and built again.
    await n1.exec('CREATE UNIQUE INDEX CONCURRENTLY orders_status ON shop.orders (status)', db).catch(() => undefined);
    expect(await n1.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop.orders_status'::regclass", [], db)).toEqual([{ indisvalid: false }]);
    const index = await ddl(['-c', 'CREATE INDEX CONCURRENTLY orders_status ON shop.orders (status)']);
    expect(index.code, index.stdout + index.stderr).toBe(0);
    for (const c of [source, n1, n2]) expect(await c.query("SELECT indisvalid, indisunique FROM pg_index WHERE indexrelid = 'shop.orders_status'::regclass", [], db)).toEqual([{ indisvalid: true, indisunique: false }]);
    const w = await workers();
    expect(w.every((x) => x.pid !== null && x.errors === 0), JSON.stringify(w)).toBe(true);
  });

  it('--recorded brings a statement the guard recorded as run by hand on the source to the nodes only, and the stream it broke applies again', async () => {
    // A stand-in for the guard's record (src/pg/ddl-log.ts is the contract; the guard itself creates it in apply).
    await source.exec(
      `CREATE SCHEMA pgedge_migrate;
       CREATE UNLOGGED TABLE pgedge_migrate.ddl_log (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), role name NOT NULL DEFAULT current_user,
         command_tag text NOT NULL, object_schema text, object_identity text, statement text NOT NULL, change text, brought_at timestamptz)`,
      db,
    );
    const byHand = "ALTER TABLE shop.order_items ADD COLUMN gift boolean DEFAULT false";
    await source.exec(byHand, db);
    await source.exec(`INSERT INTO pgedge_migrate.ddl_log (id, command_tag, object_schema, object_identity, statement) VALUES (1, 'ALTER TABLE', 'shop', 'shop.order_items', '${byHand}')`, db);
    // The next row the source sends carries the column: the nodes' apply workers stop at it.
    const deadline = Date.now() + 30_000;
    while ((await workers()).some((w) => w.errors === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect((await workers()).every((w) => w.errors > 0)).toBe(true);

    const brought = await ddl(['--recorded', '1']);
    expect(brought.code, brought.stdout + brought.stderr).toBe(0);
    const report = lastReport();
    expect(report.tasks.map((t: { id: string }) => t.id.replace(/^ddl:\w+:/, ''))).toEqual(['1:n1', '1:n2', '1:mark']);
    expect(report.ddl.recorded).toEqual(['1']);
    expect(await source.query('SELECT change, brought_at IS NOT NULL AS brought FROM pgedge_migrate.ddl_log', [], db)).toEqual([{ change: report.ddl.change, brought: true }]);
    // The workers pick the stream up again and catch up.
    await waitForSlots(source, db, 60_000);
    for (const n of [n1, n2]) expect(await n.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'shop.order_items'::regclass AND attname = 'gift'", [], db)).toEqual([{ '?column?': 1 }]);
    const again = await ddl(['--recorded', '1']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to do: every statement named was brought to the nodes already');
  });

  it('widens a column and drops a table the nodes subscribe to, the apply workers running throughout', async () => {
    const start = await workers();
    // A session on n1 holds the table for longer than one lock wait (5 s): the statement waits, gives way, and tries again.
    const holder = n1.exec('BEGIN; LOCK TABLE shop.order_items IN ACCESS SHARE MODE; SELECT pg_sleep(11); COMMIT;', db);
    await new Promise((r) => setTimeout(r, 300));
    const widen = await ddl(['-c', 'ALTER TABLE shop.order_items ALTER COLUMN qty TYPE bigint']);
    await holder;
    expect(widen.code, widen.stdout + widen.stderr).toBe(0);
    const waited = lastReport().tasks.find((t: { id: string }) => t.id.endsWith(':1:n1'));
    expect(waited.duration_ms).toBeGreaterThan(5000);
    for (const c of [source, n1, n2]) expect(await c.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'shop.order_items'::regclass AND attname = 'qty'", [], db)).toEqual([{ t: 'bigint' }]);
    // Odd names, end to end; FOR ALL TABLES carries the new table by itself.
    await Promise.all([source, n1, n2].map((c) => c.exec('CREATE SCHEMA "Odd.Schema"', db)));
    const create = await ddl(['-c', 'CREATE TABLE "Odd.Schema"."Scratch Pad" (id int PRIMARY KEY, note text)']);
    expect(create.code, create.stdout + create.stderr).toBe(0);
    expect(lastReport().tasks.find((t: { id: string }) => t.id.endsWith(':publication')).summary).toBe('every publication carries "Odd.Schema"."Scratch Pad" already');
    await source.exec(`INSERT INTO "Odd.Schema"."Scratch Pad" SELECT i, 'n' || i FROM generate_series(1, 50) i`, db);
    await waitForSlots(source, db);
    expect((await compareClusters([source, n1, n2], db, ['"Odd.Schema"."Scratch Pad"'])).filter((t) => !t.equal)).toEqual([]);
    const drop = await ddl(['-c', 'DROP TABLE "Odd.Schema"."Scratch Pad"']);
    expect(drop.code, drop.stdout + drop.stderr).toBe(0);
    expect(lastReport().tasks.map((t: { id: string }) => t.id.replace(/^ddl:\w+:/, ''))).toEqual(['1:source', '1:confirm', '1:refresh:n1', '1:n1', '1:refresh:n2', '1:n2']);
    for (const c of [source, n1, n2]) expect(await c.query(`SELECT to_regclass('"Odd.Schema"."Scratch Pad"') AS t`, [], db)).toEqual([{ t: null }]);
    for (const n of [n1, n2]) expect((await n.query('SELECT count(*)::int AS n FROM pg_subscription_rel sr LEFT JOIN pg_class c ON c.oid = sr.srrelid WHERE c.oid IS NULL', [], db))[0].n).toBe(0);
    const end = await workers();
    expect(end, 'the apply workers kept running, with no error').toEqual(start);
  });

  it('the cutover afterwards is exact on every node: data, the new table\'s rows, and the schema (pg_dump -s)', async () => {
    const refunds = await refundWriter!.stop();
    refundWriter = undefined;
    const result = await load!.stop();
    load = undefined;
    expect(refunds).toBeGreaterThan(20);
    expect(result.transactions).toBeGreaterThan(100);
    await waitForSlots(source, db);
    const before = schemaDump(source);
    expect(schemaDump(n1)).toBe(before);
    expect(schemaDump(n2)).toBe(before);
    const co = await runCli(['cutover', file], { cwd: dir, env });
    expect(co.code, co.stdout + co.stderr).toBe(0);
    const tables = (await userTables(source, db)).filter((t) => !t.startsWith('pgedge_migrate.'));
    expect(tables).toContain('shop.refunds');
    const different = (await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal);
    expect(different, JSON.stringify(different, null, 2)).toEqual([]);
    expect((await source.query<{ n: number }>('SELECT count(*)::int AS n FROM shop.refunds', [], db))[0].n).toBe(refunds);
    const schema = schemaDump(source);
    expect(schema).toContain('note text DEFAULT \'none\'::text NOT NULL');
    for (const c of [source, n1, n2]) expect(await c.query("SELECT 1 FROM pg_attribute WHERE attrelid = 'shop.customers'::regclass AND attname = 'created_at' AND NOT attisdropped", [], db)).toEqual([]);
    // The cutover interleaves the nodes' sequences (INCREMENT BY the number of nodes): the one difference it makes on purpose.
    const unstepped = (t: string) => t.replace(/INCREMENT BY \d+/g, 'INCREMENT BY <step>');
    expect(unstepped(schemaDump(n1))).toBe(unstepped(schema));
    expect(unstepped(schemaDump(n2))).toBe(unstepped(schema));
  });
});
