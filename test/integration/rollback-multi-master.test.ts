// cutover.fallback on a pglogical two-node target: the fallback node's native
// publication sends the source the rows written on the other node too (they
// reach it through pglogical, with their origin: PostgreSQL 15's pgoutput
// sends changes whatever their origin), and rollback is exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, databaseClosed, openForReading, SAMPLE_SCHEMA, SAMPLE_LOAD, waitFor } from './support.js';

const DB = 'rbmm';
const PGLOGICAL = join(PG_BIN, '..', 'lib', 'pglogical.so');
const hasPglogical = existsSync(PGLOGICAL);
if (!hasPglogical && process.env.CI) throw new Error(`${PGLOGICAL} is missing: apt-get install -y postgresql-15-pglogical`);
if (!hasPglogical) console.warn(`skipping the fallback multi-master test: ${PGLOGICAL} is missing`);
let source: Cluster, n1: Cluster, n2: Cluster;

const kv = (c: Cluster) => `host=127.0.0.1 port=${c.port} dbname=${DB} user=postgres password=${c.password}`;

beforeAll(async () => {
  if (!hasPglogical) return;
  // Clusters of this file only: a DROP DATABASE waits forever on pglogical's supervisor.
  [source] = await startClusters(['source']);
  [n1, n2] = await startClusters(['n1', 'n2'], { shared_preload_libraries: 'pglogical', track_commit_timestamp: 'on', max_worker_processes: 24 });
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(DB)));
  await source.exec(SAMPLE_SCHEMA, DB);
  for (const [me, name] of [[n1, 'n1'], [n2, 'n2']] as const) await me.exec(`CREATE EXTENSION pglogical; SELECT pglogical.create_node(node_name := '${name}', dsn := '${kv(me)}');`, DB);
  for (const [me, other, name] of [[n1, n2, 'n1_from_n2'], [n2, n1, 'n2_from_n1']] as const) {
    await me.exec(`SELECT pglogical.create_subscription(subscription_name := '${name}', provider_dsn := '${kv(other)}', replication_sets := ARRAY['default', 'default_insert_only'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`, DB);
  }
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

describe.skipIf(!hasPglogical)('cutover with fallback on a pglogical target, then rollback', () => {
  it('sends the writes of both nodes to the source through n1\'s one reverse stream, and rolls back exactly', async () => {
    const dir = tempDir('rbmm');
    const { file, env } = writePlan(dir, { name: 'rbmm', source, nodes: [n1, n2], db: DB, extra: 'cutover:\n  vacuum: false\n  sequences:\n    strategy: interleave\n    gap: 100\n  fallback:\n    enabled: true\n    node: n1\n' });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pglogical\n'));
    const load = startWriteLoad(source, { db: DB, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    try {
      expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
      const cutover = await runCli(['cutover', file], { cwd: dir, env });
      expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    } finally {
      await load.stop();
    }
    // Rows written on n2 only, reaching the source through n1.
    await n2.exec("INSERT INTO shop.customers (email) SELECT 'n2-' || i || '@example.com' FROM generate_series(1, 20) i; UPDATE shop.customers SET email = 'n2-changed@example.com' WHERE id = 2;", DB);
    await waitFor('n2\'s rows to reach the source through n1', async () => (await source.query("SELECT count(*)::int AS c FROM shop.customers WHERE email LIKE 'n2-%'", [], DB))[0].c === 21);

    // Both nodes take writes up to the rollback; n2 only inserts: concurrent updates of one row on both
    // nodes are a multi-master conflict of their own (last update wins on each node), not the rollback's.
    const n2Load = "INSERT INTO shop.orders (customer_id, total) VALUES (1, 1) RETURNING id AS oid \\gset\nINSERT INTO shop.order_items (order_id, line, sku, qty) VALUES (:oid, 1, 'n2', 1);\nINSERT INTO public.events (at, kind, payload) VALUES (now(), 'n2', '{}');\n";
    const loads = [startWriteLoad(n1, { db: DB, script: SAMPLE_LOAD, clients: 1, rate: 50 }), startWriteLoad(n2, { db: DB, script: n2Load, clients: 1, rate: 50 })];
    let r;
    try {
      await new Promise((res) => setTimeout(res, 2000));
      r = await runCli(['rollback', file], { cwd: dir, env });
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const n of [n1, n2]) {
      expect(await databaseClosed(n, DB), n.name).toBe(true);
      await openForReading(n, DB);
    }
    const tables = (await userTables(source, DB)).filter((t) => !t.startsWith('pglogical.'));
    expect((await compareClusters([source, n1, n2], DB, tables)).filter((t) => !t.equal)).toEqual([]);
    const [{ used }] = await n1.query<{ used: string }>('SELECT max(id)::text AS used FROM shop.orders', [], DB);
    expect((await n1.query<{ c: number }>("SELECT count(*)::int AS c FROM shop.order_items WHERE sku = 'n2'", [], DB))[0].c).toBeGreaterThan(10);
    const [{ next }] = await source.query<{ next: string }>("SELECT nextval('shop.orders_id_seq')::text AS next", [], DB);
    expect(BigInt(next)).toBeGreaterThan(BigInt(used));
    expect((await source.query('SELECT subname FROM pg_subscription', [], DB)).length).toBe(0);
  });
});
