// migrate ddl onto real pgEdge nodes (Spock 5, DDL replication on as pgEdge
// sets it): a new table reaches every node once (from migrate ddl, not again
// from Spock), its rows come by table sync, it joins the replication set, and
// after the cutover writes to it on one node reach the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, type Cluster } from '../harness/index.js';
import { havePgedge, startPgedgeNodes, createSpockMesh, waitForSpockMesh } from '../harness/pgedge.js';
import { runCli, tempDir, writePlan, waitForSlots, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';

const DB = 'pge_ddl';
const ready = havePgedge('the pgEdge migrate ddl test');

let source: Cluster;
let nodes: Cluster[] = [];

beforeAll(async () => {
  if (!ready) return;
  [[source], nodes] = await Promise.all([startClusters(['source']), startPgedgeNodes(['n1', 'n2'])]);
  await Promise.all([source, ...nodes].map((c) => c.createDatabase(DB)));
  await source.exec(SAMPLE_SCHEMA, DB);
  await createSpockMesh(nodes, DB);
}, 180_000);

afterAll(async () => {
  await Promise.all([source, ...nodes].filter(Boolean).map((c) => c.stop()));
});

describe.skipIf(!ready)('migrate ddl onto pgEdge nodes', () => {
  it('CREATE TABLE and ADD COLUMN reach each node once, the new table joins the replication set, and after the cutover its writes cross the mesh', async () => {
    const dir = tempDir('ddl-pgedge');
    const { file, env } = writePlan(dir, { name: 'pge-ddl', source, nodes, db: DB, extra: 'publish:\n  schemas: [shop]\ncutover:\n  vacuum: false\n' });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pgedge\n'));
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    const load = startWriteLoad(source, { db: DB, script: SAMPLE_LOAD, clients: 2, rate: 60 });
    try {
      // Rows written on the source from before the table exists: the first ones reach the nodes by table sync, the rest by the stream.
      let stop = false;
      let written = 0;
      const writer = (async () => {
        while (!stop) {
          await source.exec(`INSERT INTO shop.refunds VALUES (${written + 1}, 1)`, DB).then(() => written++, () => undefined);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const create = await runCli(['ddl', file, '-c', 'CREATE TABLE shop.refunds (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL)'], { cwd: dir, env });
      stop = true;
      await writer;
      expect(create.code, create.stdout + create.stderr).toBe(0);
      expect(written).toBeGreaterThan(10);
      await source.exec('INSERT INTO shop.refunds SELECT i, i FROM generate_series(100001, 100200) i', DB);
      const add = await runCli(['ddl', file, '-c', "ALTER TABLE shop.orders ADD COLUMN note text DEFAULT 'none'"], { cwd: dir, env });
      expect(add.code, add.stdout + add.stderr).toBe(0);
      // A schema the publications (FOR TABLES IN SCHEMA shop) do not list: the new table is added to them by name.
      // Made on each node by itself (Spock would otherwise carry it to the other node, which has it already).
      await Promise.all([source, ...nodes].map((c) => c.exec(`${c === source ? '' : 'SET spock.enable_ddl_replication = off; '}CREATE SCHEMA "Odd.Schema"`, DB)));
      const odd = await runCli(['ddl', file, '-c', 'CREATE TABLE "Odd.Schema"."T x" (id int PRIMARY KEY)'], { cwd: dir, env });
      expect(odd.code, odd.stdout + odd.stderr).toBe(0);
      await source.exec('INSERT INTO "Odd.Schema"."T x" SELECT generate_series(1, 30)', DB);
    } finally {
      await load.stop();
    }
    await waitForSlots(source, DB);
    expect(await source.query("SELECT pubname FROM pg_publication_tables WHERE schemaname = 'Odd.Schema' AND tablename = 'T x' ORDER BY 1", [], DB)).toEqual([{ pubname: 'pge_ddl_pub1' }, { pubname: 'pge_ddl_pub2' }]);
    for (const c of nodes) {
      expect(await c.query("SELECT set_name FROM spock.tables WHERE nspname = 'shop' AND relname = 'refunds'", [], DB)).toEqual([{ set_name: 'default' }]);
      expect(await c.query("SELECT set_name FROM spock.tables WHERE nspname = 'Odd.Schema' AND relname = 'T x'", [], DB)).toEqual([{ set_name: 'default' }]);
      // Spock queued none of the DDL for the other nodes: each got it from migrate ddl.
      expect(await c.query('SELECT message FROM spock.queue', [], DB)).toEqual([]);
      expect(await c.query('SELECT * FROM spock.exception_log', [], DB)).toEqual([]);
    }
    const tables = ['shop.refunds', 'shop.orders', 'shop.order_items', 'shop.customers', '"Odd.Schema"."T x"'];
    expect((await compareClusters([source, ...nodes], DB, tables)).filter((t) => !t.equal)).toEqual([]);
    expect((await nodes[1].query('SELECT count(*)::int AS n FROM shop.refunds', [], DB))[0].n).toBe((await source.query('SELECT count(*)::int AS n FROM shop.refunds', [], DB))[0].n);

    const cutover = await runCli(['cutover', file], { cwd: dir, env });
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    await waitForSpockMesh(nodes, DB);
    await nodes[0].exec('INSERT INTO shop.refunds SELECT i, i FROM generate_series(1000001, 1000020) i', DB);
    const deadline = Date.now() + 30_000;
    while ((await nodes[1].query('SELECT count(*)::int AS n FROM shop.refunds WHERE id > 1000000', [], DB))[0].n < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect((await nodes[1].query('SELECT count(*)::int AS n FROM shop.refunds WHERE id > 1000000', [], DB))[0].n).toBe(20);
    for (const c of nodes) {
      const log = readFileSync(join(c.dataDir, 'server.log'), 'utf8');
      expect(log.split('\n').filter((l) => /CONFLICT|duplicate key|spock.*ERROR/i.test(l)), c.name).toEqual([]);
    }
  });
});
