// Schema changes made by hand on the source while the streams run: logical
// replication carries no DDL, so a column added on the source stops every
// node's apply worker at the next change to that table, and it crash-loops
// from then on. status, verify and the cutover must say so at once, naming the
// table, the nodes, the worker's error and the statement that repairs it; the
// catch-up wait must stop with the reason instead of waiting for its timeout.
import { afterAll, describe, expect, it } from 'vitest';
import { startClusters, startWriteLoad, compareClusters, userTables, type Cluster, type WriteLoad } from '../harness/index.js';
import pg from 'pg';
import { readFileSync, writeFileSync } from 'node:fs';
import { havePgedge, startPgedgeNodes, createSpockMesh } from '../harness/pgedge.js';
import { clustersForFile, runCli, tempDir, waitForSlots, writePlan, takesWrite, type FixStep } from './support.js';
import { readWorkerError } from '../../src/pg/apply-worker.js';

let source: Cluster, n1: Cluster, n2: Cluster;
const loads: WriteLoad[] = [];

// A failed apply worker is started again after wal_retrieve_retry_interval
// (5 s by default); the collector lets the tool read the worker's error from
// the server log (PostgreSQL 15 keeps no error text in its statistics).
const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c), { wal_retrieve_retry_interval: '500ms', logging_collector: 'on' });

afterAll(async () => {
  await Promise.all(loads.map((l) => l.stop()));
});

const SHOP = `CREATE SCHEMA shop;
CREATE TABLE shop.items (id bigserial PRIMARY KEY, v int NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE shop."Odd Name" (id int PRIMARY KEY, "Weird col" text);
INSERT INTO shop.items (v) SELECT g FROM generate_series(1, 2000) g;
INSERT INTO shop."Odd Name" SELECT g, 'w' || g FROM generate_series(1, 100) g;`;

const LOAD = `\\set v random(1, 100000)
INSERT INTO shop.items (v) VALUES (:v);
UPDATE shop."Odd Name" SET "Weird col" = 'u' || :v WHERE id = :v % 100 + 1;`;

const setUp = (name: string, extra = '') => migration(name, { schema: SHOP, extra });

function load(db: string): WriteLoad {
  const l = startWriteLoad(source, { db, script: LOAD, rate: 100, clients: 2, seconds: 300 });
  loads.push(l);
  return l;
}

const sourceWritable = (db: string) => takesWrite(source, db, 'INSERT INTO shop.items (v) VALUES (-1)');

describe('a column added by hand on the source while the streams run', () => {
  it('status, verify and cutover name the table, the nodes, the restarting worker and the fix; after the fix nothing was lost', async () => {
    const { db, dir, file, env } = await setUp('drift-col');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const writes = load(db);
    await new Promise((r) => setTimeout(r, 1000));

    await source.exec('ALTER TABLE shop.items ADD COLUMN note text', db);
    await new Promise((r) => setTimeout(r, 1500));
    const started = Date.now();
    const status = await runCli(['status', file], { cwd: dir, env });
    const took = Date.now() - started;
    expect(status.code, status.stdout + status.stderr).toBe(1);
    expect(took).toBeLessThan(8000);
    expect(status.stdout).toMatch(/shop\.items column note: on the source \(text\), not on n1/);
    expect(status.stdout).toMatch(/shop\.items column note: on the source \(text\), not on n2/);
    // The worker's own error, read from the node's server log.
    expect(status.stdout).toMatch(/n1: the apply worker of subscription drift_col_sub1 keeps failing/);
    expect(status.stdout).toMatch(/n2: the apply worker of subscription drift_col_sub2 keeps failing/);
    expect(status.stdout).toContain('logical replication target relation "shop.items" is missing replicated column: "note"');
    expect(status.stdout).toContain('ALTER TABLE shop.items ADD COLUMN note text;');
    expect(status.stdout).toContain('migrate ddl');

    const verify = await runCli(['verify', file], { cwd: dir, env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(1);
    expect(verify.stdout).toMatch(/shop\.items column note: on the source \(text\), not on n1/);
    expect(verify.stdout).toContain('keeps failing');

    const refused = await runCli(['cutover', file], { cwd: dir, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/shop\.items column note: on the source \(text\), not on n1/);
    expect(refused.stderr).toContain('ALTER TABLE shop.items ADD COLUMN note text;');
    expect(refused.stderr).toContain('missing replicated column');
    expect(refused.stdout + refused.stderr).not.toMatch(/(start|done) +\[freeze\]/);
    expect(await sourceWritable(db)).toBe(true);

    // The printed fix, by hand, as a DBA would run it.
    const json = JSON.parse((await runCli(['status', file, '--json'], { cwd: dir, env })).stdout);
    for (const c of json.coverage as { node: string; fix: FixStep[] }[]) {
      expect(c.fix.map((f) => f.text)).toEqual(['ALTER TABLE shop.items ADD COLUMN note text;']);
      await (c.node === 'n1' ? n1 : n2).exec(c.fix[0].text, db);
    }
    let clean = false;
    for (let i = 0; i < 60 && !clean; i++) {
      clean = (await runCli(['status', file], { cwd: dir, env })).code === 0;
      if (!clean) await new Promise((r) => setTimeout(r, 500));
    }
    expect(clean).toBe(true);
    await source.exec("INSERT INTO shop.items (v, note) VALUES (0, 'after the fix')", db);

    const result = await writes.stop();
    expect(result.failed, result.stderr).toBe(false);
    await waitForSlots(source, db);
    const tables = await userTables(source, db);
    expect((await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal)).toEqual([]);
    const [{ n }] = await n2.query<{ n: number }>("SELECT count(*)::int AS n FROM shop.items WHERE note = 'after the fix'", [], db);
    expect(n).toBe(1);
  });
});

describe('a table created by hand on the source', () => {
  it('status names it, published on the source and missing on the nodes', async () => {
    const { db, dir, file, env } = await setUp('drift-table');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const writes = load(db);
    await source.exec('CREATE TABLE shop.fresh (id int PRIMARY KEY, v text); INSERT INTO shop.fresh SELECT g, \'f\' FROM generate_series(1, 50) g', db);
    await new Promise((r) => setTimeout(r, 1000));
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/shop\.fresh: published on the source, does not exist on n1/);
    expect(status.stdout).toMatch(/shop\.fresh: published on the source, does not exist on n2/);
    expect(status.stdout).toContain('logical replication target relation "shop.fresh" does not exist');
    await writes.stop();

    // A role that may not read the server log is told where the error is instead.
    await n1.exec("CREATE ROLE log_peek LOGIN PASSWORD 'peek' IN ROLE pg_monitor", db);
    const [{ origin }] = await n1.query<{ origin: string }>("SELECT 'pg_' || oid AS origin FROM pg_subscription WHERE subname = 'drift_table_sub1'", [], db);
    for (const [user, password, expected] of [['postgres', n1.password, /does not exist/], ['log_peek', 'peek', /this role may not read it/]] as const) {
      const c = new pg.Client({ host: n1.host, port: n1.port, user, password, database: db });
      await c.connect();
      try {
        const e = await readWorkerError(c, 'n1', 'drift_table_sub1', origin);
        expect(e.line ?? e.where, user).toMatch(expected);
      } finally {
        await c.end();
      }
    }
  });
});

describe("apply's catch-up on a broken stream", () => {
  it('stops at once with the reason and the fix, and never says replication keeps running', async () => {
    // Run just before the wait: the next change to shop.items stops both workers.
    const hook = `hooks:\n  - before: catch-up\n    sql: ALTER TABLE shop.items ADD COLUMN note text; INSERT INTO shop.items (v) VALUES (7)`;
    const { db, dir, file, env } = await setUp('drift-catchup', hook);
    const writes = load(db);
    const started = Date.now();
    const apply = await runCli(['apply', file], { cwd: dir, env });
    const took = Date.now() - started;
    await writes.stop();
    const output = apply.stdout + apply.stderr;
    expect(apply.code, output).toBe(1);
    expect(output).not.toMatch(/replication keeps running/i);
    expect(output).toMatch(/shop\.items column note: on the source \(text\), not on n1/);
    expect(output).toContain('ALTER TABLE shop.items ADD COLUMN note text;');
    // The plan's catch-up timeout is 120 s.
    expect(took).toBeLessThan(60_000);
  });
});

describe("the cutover's drain on a broken stream", () => {
  it('calls the cutover off within seconds, not at its timeout, names the drift, and leaves the source writable', async () => {
    // Inside the freeze, before the frozen position is written: a column made by hand, and a row that needs it.
    const hook = `hooks:\n  - before: drain\n    sql: BEGIN; SET LOCAL transaction_read_only = off; ALTER TABLE shop.items ADD COLUMN note text; INSERT INTO shop.items (v) VALUES (7); COMMIT`;
    const { db, dir, file, env } = await setUp('drift-drain', `${hook}\ncutover:\n  timeout_seconds: 120`);
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const started = Date.now();
    const cutover = await runCli(['cutover', file], { cwd: dir, env });
    const took = Date.now() - started;
    const output = cutover.stdout + cutover.stderr;
    expect(cutover.code, output).toBe(1);
    // A worker that fails inside the freeze cannot even start again: the frozen database takes no new connection.
    expect(output).toMatch(/cannot apply the frozen position[\s\S]*shop\.items column note: on the source \(text\), not on n[12]/);
    expect(output).not.toMatch(/replication keeps running/i);
    expect(took).toBeLessThan(60_000);
    expect(await sourceWritable(db)).toBe(true);
  });
});

const pgedgeReady = havePgedge('the pgEdge drift test');

describe.skipIf(!pgedgeReady)('a column added by hand on the source, onto pgEdge nodes with DDL replication on', () => {
  it("the printed fix runs on each node alone (Spock does not repeat it on the others), and the streams resume", async () => {
    const db = 'drift_pge';
    const [[src], nodes] = await Promise.all([startClusters(['source'], { wal_retrieve_retry_interval: '500ms' }), startPgedgeNodes(['n1', 'n2'])]);
    try {
      await Promise.all([src, ...nodes].map((c) => c.createDatabase(db)));
      await src.exec(SHOP, db);
      await createSpockMesh(nodes, db);
      const dir = tempDir('drift-pge');
      const { file, env } = writePlan(dir, { name: 'drift-pge', source: src, nodes, db });
      writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pgedge\n'));
      const apply = await runCli(['apply', file], { cwd: dir, env });
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      await src.exec('ALTER TABLE shop.items ADD COLUMN note text; INSERT INTO shop.items (v) VALUES (1)', db);
      await new Promise((r) => setTimeout(r, 1000));
      const status = await runCli(['status', file, '--json'], { cwd: dir, env });
      expect(status.code).toBe(1);
      const coverage = JSON.parse(status.stdout).coverage as { node: string; fix: FixStep[] }[];
      for (const c of coverage) {
        expect(c.fix.map((f) => f.text)).toEqual(['SET spock.enable_ddl_replication = off;\nSET spock.include_ddl_repset = off;\nSET spock.allow_ddl_from_functions = off;\nALTER TABLE shop.items ADD COLUMN note text;']);
        // Run as a DBA would, one psql session per node: a repeat on the other node would fail with "already exists".
        await nodes[c.node === 'n1' ? 0 : 1].exec(c.fix[0].text, db);
      }
      await src.exec("INSERT INTO shop.items (v, note) VALUES (2, 'after the fix')", db);
      await waitForSlots(src, db);
      let clean = false;
      for (let i = 0; i < 60 && !clean; i++) {
        clean = (await runCli(['status', file], { cwd: dir, env })).code === 0;
        if (!clean) await new Promise((r) => setTimeout(r, 500));
      }
      expect(clean).toBe(true);
      for (const n of nodes) expect((await n.query<{ n: number }>('SELECT count(*)::int AS n FROM spock.queue', [], db))[0].n, n.name).toBe(0);
      expect((await compareClusters([src, ...nodes], db, ['shop.items', 'shop."Odd Name"'])).filter((t) => !t.equal)).toEqual([]);
    } finally {
      await Promise.all([src, ...nodes].map((c) => c.stop()));
    }
  });
});
