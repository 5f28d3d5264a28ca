// cutover.fallback onto a real three-node pgEdge cluster (Spock 5, Snowflake):
// writes made on every node after the cutover (Snowflake-keyed inserts, the
// interleaved standalone sequence, updates, deletes) reach the source through
// n1's one reverse stream (Spock brings n2's and n3's to n1, and PostgreSQL
// 15's pgoutput sends them on whatever their origin), and rollback is exact:
// the source equals the nodes at their frozen point, its sequences are past
// every value any node handed out (Snowflake ids included), the Spock workers
// between the nodes were never ended, and the application writes to the
// source again, after a first rollback killed outright past the nodes' freeze
// (status tells the truth meanwhile) and run again. A 4-byte key that Snowflake would widen on the nodes only is
// refused first, with the fix, since the reverse stream would bring Snowflake
// ids into it.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWriteLoad, compareClusters, userTables, type Cluster } from '../harness/index.js';
import { havePgedge, waitForSpockMesh } from '../harness/pgedge.js';
import { INVOICES, INVOICE_LOAD, notSpock, pgedgeClustersForFile, writesOn } from './pgedge-shop.js';
import { runCli, tempDir, writePlan, databaseClosed, openForReading, reportProblems, waitFor } from './support.js';

const DB = 'rbpge';
const ready = havePgedge('the pgEdge rollback test');

const EXTRA_SCHEMA = INVOICES(300);
const LOAD = INVOICE_LOAD;
// n2 and n3 only insert while n1 runs the mixed load: two nodes updating one row at once is a conflict of Spock's own, not the rollback's.
const INSERTS = (n: number) => `\\set cid random(1, 1000)
BEGIN;
INSERT INTO shop.orders (customer_id, total) VALUES (:cid, ${n}) RETURNING id AS oid \\gset
INSERT INTO shop.order_items (order_id, line, sku, qty) VALUES (:oid, 1, 'n${n}', 1);
INSERT INTO shop.invoices (order_id, number, note) VALUES (:oid, nextval('shop.invoice_numbers'), 'load-n${n}') RETURNING id AS iid \\gset
INSERT INTO shop.invoice_lines VALUES (:iid, 1, 1.00);
INSERT INTO public.events (at, kind) VALUES (now(), 'n${n}');
COMMIT;
`;

let source: Cluster;
let nodes: Cluster[] = [];

pgedgeClustersForFile(ready, DB, EXTRA_SCHEMA, (s, n) => {
  source = s;
  nodes = n;
});

/** The statements of the refusal's fix, as printed: those for the source, and those for every node. */
function printedFix(stderr: string): { source: string; node: string } {
  const m = /On the source \([^)]*\): (.*?) On every node, in one session, so that each node changes only its own: (.*?) Then run cutover again\./s.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return { source: m![1], node: m![2] };
}

async function spockWorkers(c: Cluster): Promise<number[]> {
  return (await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type LIKE 'spock apply%' ORDER BY pid", [DB], 'postgres')).map((r) => r.pid);
}

describe.skipIf(!ready)('cutover with fallback onto a three-node pgEdge cluster, then rollback', () => {
  it('brings every node\'s writes to the source through n1\'s one reverse stream, and rolls back exactly (after a rollback killed past the freeze, status telling the truth meanwhile): equal rows, sequences past every value used (Snowflake ids too), Spock workers untouched, a writable source', async () => {
    const dir = tempDir('rbpge');
    const { file, env } = writePlan(dir, { name: 'rbpge', source, nodes, db: DB, extra: 'cutover:\n  vacuum: false\n  sequences:\n    strategy: snowflake\n  fallback:\n    enabled: true\n    node: n1\nrollback:\n  switch_hook:\n    run: test -e killed || { touch killed; kill -9 $PPID; }\n' });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pgedge\n'));

    const load = startWriteLoad(source, { db: DB, script: LOAD, clients: 2, rate: 60 });
    try {
      const apply = await runCli(['apply', file], { cwd: dir, env });
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      // The 4-byte key: Snowflake would widen it on the nodes only, and the reverse stream stop at the first id.
      const refused = await runCli(['cutover', file], { cwd: dir, env });
      expect(refused.code, refused.stdout + refused.stderr).toBe(1);
      expect(refused.stderr).toContain('the conversion makes shop.invoice_lines.invoice_id, shop.invoices.id bigint on n');
      expect(refused.stderr).toContain('Nothing was converted and writes were not frozen');
      for (const c of nodes) expect((await c.query<{ t: string }>("SELECT data_type AS t FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'invoices' AND column_name = 'id'", [], DB))[0].t).toBe('integer');
      // The fix, as printed: on the source, then on every node with Spock's DDL replication off in the session.
      const fix = printedFix(refused.stderr);
      expect(fix.source).toContain('ALTER SEQUENCE shop.invoices_id_seq AS bigint;');
      // Run on the live source under the load: the tables locked at once, the referenced one first, as the application's inserts take them.
      expect(fix.source).toMatch(/^BEGIN; LOCK TABLE shop\.invoices, shop\.invoice_lines IN ACCESS EXCLUSIVE MODE; /);
      await source.exec(fix.source, DB);
      for (const c of nodes) await c.exec(fix.node, DB);
      // A subscription whose table was rewritten under it restarts its worker: cut over once status says all stream again.
      await waitFor('every node to stream again', async () => (await runCli(['status', file], { cwd: dir, env })).code === 0, 60_000);
      const cutover = await runCli(['cutover', file], { cwd: dir, env });
      const logs = () => nodes.map((c) => `${c.name}:\n${readFileSync(join(c.dataDir, 'server.log'), 'utf8').split('\n').filter((l) => /ERROR|FATAL|LOG:  logical replication/.test(l)).slice(-15).join('\n')}`).join('\n');
      expect(cutover.code, cutover.stdout + cutover.stderr + (cutover.code ? logs() : '')).toBe(0);
    } finally {
      await load.stop();
    }
    const tables = (await userTables(source, DB)).filter(notSpock);
    for (const w of await Promise.all(nodes.map(spockWorkers))) expect(w).toHaveLength(2);

    // Every node writes; everything reaches the source through n1 alone.
    await Promise.all(nodes.map((c, i) => writesOn(c, DB, i + 1, { documents: false })));
    await waitFor('every node\'s writes to reach the source through n1', async () => (await compareClusters([source, ...nodes], DB, tables)).every((t) => t.equal), 60_000);
    const [counts] = await source.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM shop.customers WHERE email ~ '^n[123]-') AS customers,
              (SELECT count(*) FROM shop.invoices WHERE note ~ '^n[123]$') AS invoices,
              (SELECT count(*) FROM public.events WHERE kind ~ '^n[123]$') AS events,
              (SELECT count(*) FROM shop.invoices WHERE note = 'seed' AND id <= 300) AS seeds_left,
              (SELECT count(*) FROM shop.customers WHERE id <= 300 AND profile->>'touched_by' = 'n' || (id % 3 + 1)) AS updated`,
      [],
      DB,
    );
    // Each node's Snowflake ids, made on all three, came back through n1 (n1 reads their makers).
    const [{ makers }] = await nodes[0].query<{ makers: string }>('SELECT count(DISTINCT snowflake.get_node(id))::text AS makers FROM shop.orders WHERE id > 2147483647', [], DB);
    expect(makers).toBe('3');
    expect(counts).toEqual({ customers: '60', invoices: '60', events: '60', seeds_left: '0', updated: '300' });

    // A Spock subscription that does not replicate would hold back its provider's writes: refused before anything is frozen.
    await nodes[0].query("SELECT spock.sub_disable('sub_n1_n2', true)", [], DB);
    const down = await runCli(['rollback', file], { cwd: dir, env });
    await nodes[0].query("SELECT spock.sub_enable('sub_n1_n2', true)", [], DB);
    expect(down.code, down.stdout + down.stderr).toBe(1);
    expect(down.stderr).toMatch(/not ready to roll back: the Spock subscription sub_n1_n2 on n1 \(from n2\) is disabled/);
    expect(down.stderr).toContain('Nothing was frozen');
    for (const c of nodes) expect(await databaseClosed(c, DB), c.name).toBe(false);
    await waitForSpockMesh(nodes, DB);
    await waitFor('two Spock apply workers on every node', async () => (await Promise.all(nodes.map(spockWorkers))).every((w) => w.length === 2), 60_000);
    const workersBefore = await Promise.all(nodes.map(spockWorkers));

    // All three take writes up to the rollback.
    const loads = [startWriteLoad(nodes[0], { db: DB, script: LOAD, clients: 1, rate: 40 }), startWriteLoad(nodes[1], { db: DB, script: INSERTS(2), clients: 1, rate: 40 }), startWriteLoad(nodes[2], { db: DB, script: INSERTS(3), clients: 1, rate: 40 })];
    let killed;
    try {
      await new Promise((res) => setTimeout(res, 2000));
      // Killed outright at its switch_hook, after the nodes' freeze and the drain.
      killed = await runCli(['rollback', file], { cwd: dir, env });
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    expect(killed.signal ?? killed.code, killed.stdout + killed.stderr).toBe('SIGKILL');
    // status tells the truth meanwhile: the nodes frozen by a rollback that did not finish, each one closed.
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/!! Writes on the nodes are frozen since .* by a rollback that did not finish, and the source is not writable yet: run `migrate rollback/);
    for (const n of ['n1', 'n2', 'n3']) expect(status.stdout).toContain(`${n}: ${DB} closed to new connections (ALLOW_CONNECTIONS false), read-only for new sessions; to open it by hand`);
    expect(status.stdout).toMatch(/Fallback stream n1 -> source: subscription rbpge_fallback_sub streaming/);
    for (const c of nodes) expect(await databaseClosed(c, DB), c.name).toBe(true);
    const r = await runCli(['rollback', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Writes were frozen for \d+ ms/);
    // The Spock workers between the nodes were never ended, by the killed rollback or the one run again: the same processes.
    expect(await Promise.all(nodes.map(spockWorkers))).toEqual(workersBefore);
    for (const c of nodes) expect(await databaseClosed(c, DB), c.name).toBe(true);
    for (const c of nodes) await openForReading(c, DB);

    expect((await compareClusters([source, ...nodes], DB, tables)).filter((t) => !t.equal)).toEqual([]);
    for (const [i, c] of nodes.entries()) {
      const [{ n }] = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM shop.order_items WHERE sku = $1", [`n${i + 1}`], DB);
      if (i > 0) expect(n, `load rows written on ${c.name}`).toBeGreaterThan(10);
      expect(await c.query('SELECT * FROM spock.exception_log', [], DB)).toEqual([]);
    }
    // Past every value used: the Snowflake ids and the interleaved standalone sequence's values.
    const [used] = await source.query<Record<string, string>>(
      'SELECT (SELECT max(id) FROM shop.orders)::text AS orders, (SELECT max(id) FROM shop.customers)::text AS customers, (SELECT max(id) FROM public.events)::text AS events, (SELECT max(id) FROM shop.invoices)::text AS invoices, (SELECT max(number) FROM shop.invoices)::text AS numbers',
      [],
      DB,
    );
    expect(BigInt(used.orders)).toBeGreaterThan(2n ** 31n);
    const next = async (seq: string) => BigInt((await source.query<{ v: string }>(`SELECT nextval('${seq}')::text AS v`, [], DB))[0].v);
    expect(await next('shop.orders_id_seq')).toBeGreaterThan(BigInt(used.orders));
    expect(await next('shop.customers_id_seq')).toBeGreaterThan(BigInt(used.customers));
    expect(await next('public.events_id_seq')).toBeGreaterThan(BigInt(used.events));
    expect(await next('shop.invoices_id_seq')).toBeGreaterThan(BigInt(used.invoices));
    expect(await next('shop.invoice_numbers')).toBeGreaterThan(BigInt(used.numbers));

    // The application's writes go to the source again, without error.
    const back = startWriteLoad(source, { db: DB, script: LOAD, clients: 2, rate: 60 });
    await new Promise((res) => setTimeout(res, 1500));
    const result = await back.stop();
    expect(result.failed, result.stderr).toBe(false);
    expect(result.transactions).toBeGreaterThan(10);
    expect(await source.query('SELECT subname FROM pg_subscription', [], DB)).toEqual([]);
    expect(await nodes[0].query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'rbpge%'", [], DB)).toEqual([]);
    const runs = join(dir, '.migrate', 'rbpge', 'runs');
    const report = JSON.parse(readFileSync(join(runs, readdirSync(runs).filter((x) => x.endsWith('rollback')).sort().pop()!, 'report.json'), 'utf8'));
    expect(await reportProblems(report)).toBeNull();
    expect(report.rollback.write_downtime_ms).toBeGreaterThan(0);
    if (process.env.SHOW) console.log(`pgEdge rollback downtime ${report.rollback.write_downtime_ms} ms`, report.rollback.steps);
  });
});
