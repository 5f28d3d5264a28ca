// A real two-node multi-master target: n1 and n2 replicate to each other with
// pglogical (Spock's ancestor, same model) while the source streams into both.
// After the cutover both nodes take writes, and nothing collides or goes missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, SAMPLE_SCHEMA, SAMPLE_LOAD, waitFor } from './support.js';

const DB = 'mm';

// pglogical is a Debian package of its own (postgresql-15-pglogical), which
// .ci/run installs. Elsewhere a machine without it skips this file, saying so;
// under CI its absence is a failure, never a silent skip.
const PGLOGICAL = join(PG_BIN, '..', 'lib', 'pglogical.so');
const hasPglogical = existsSync(PGLOGICAL);
if (!hasPglogical && process.env.CI) throw new Error(`${PGLOGICAL} is missing: apt-get install -y postgresql-15-pglogical`);
if (!hasPglogical) console.warn(`skipping the multi-master tests: ${PGLOGICAL} is missing (apt-get install -y postgresql-15-pglogical)`);
let source: Cluster, n1: Cluster, n2: Cluster;

function kv(c: Cluster): string {
  return `host=127.0.0.1 port=${c.port} dbname=${DB} user=postgres password=${c.password}`;
}

beforeAll(async () => {
  if (!hasPglogical) return;
  // pglogical must be preloaded; a DROP DATABASE would wait forever on its
  // supervisor, so these clusters are used for this file only and then removed.
  const pglogical = { shared_preload_libraries: 'pglogical', track_commit_timestamp: 'on', max_worker_processes: 24 };
  [source] = await startClusters(['source']);
  [n1, n2] = await startClusters(['n1', 'n2'], pglogical);
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(DB)));
  await source.exec(SAMPLE_SCHEMA, DB);
  for (const [me, other, name] of [[n1, n2, 'n1'], [n2, n1, 'n2']] as const) {
    await me.exec(`CREATE EXTENSION pglogical; SELECT pglogical.create_node(node_name := '${name}', dsn := '${kv(me)}');`, DB);
    void other;
  }
  // Changes that arrived from the source carry its origin: forwarding them
  // again would apply them twice on the other node.
  for (const [me, other, name] of [[n1, n2, 'n1_from_n2'], [n2, n1, 'n2_from_n1']] as const) {
    await me.exec(
      `SELECT pglogical.create_subscription(subscription_name := '${name}', provider_dsn := '${kv(other)}', replication_sets := ARRAY['default', 'default_insert_only'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`,
      DB,
    );
  }
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

async function migratedTables(c: Cluster): Promise<string[]> {
  return (await userTables(c, DB)).filter((t) => !t.startsWith('pglogical.'));
}

describe.skipIf(!hasPglogical)('a pglogical multi-master target', () => {
  it('migrates under load, cuts over with interleaved sequences, then takes writes on both nodes without collisions', async () => {
    const dir = tempDir('mm');
    const { file, env } = writePlan(dir, {
      name: 'mm',
      source,
      nodes: [n1, n2],
      db: DB,
      extra: 'cutover:\n  sequences:\n    strategy: interleave\n    gap: 100',
    });
    // Both nodes are pglogical nodes: the plan says so, and gains their replication-set steps.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pglogical\n'));
    const runbook = await runCli(['runbook', file], { cwd: dir, env });
    expect(runbook.stdout).toContain('pglogical.replication_set_add_all_tables');

    const check = await runCli(['check', file, '--json'], { cwd: dir, env });
    const findings = JSON.parse(check.stdout).findings as { id: string; severity: string }[];
    expect(findings.filter((f) => f.severity === 'error'), check.stdout).toEqual([]);
    expect(findings.some((f) => f.id === 'node.forward_origins')).toBe(false); // both subscriptions forward nothing

    const load = startWriteLoad(source, { db: DB, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    let cutover;
    try {
      const apply = await runCli(['apply', file], { cwd: dir, env });
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      const verify = await runCli(['verify', file], { cwd: dir, env });
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      // The load keeps writing into the cutover; its sessions end at the freeze.
      cutover = await runCli(['cutover', file], { cwd: dir, env });
    } finally {
      await load.stop();
    }
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);

    // Three-way comparison at the cutover point: the source is frozen, the nodes have had no other writes yet.
    const tables = await migratedTables(source);
    const atCutover = await compareClusters([source, n1, n2], DB, tables);
    expect(atCutover.filter((t) => !t.equal)).toEqual([]);
    const [{ max: sourceMax }] = await source.query<{ max: string }>('SELECT max(id)::text AS max FROM shop.orders', [], DB);

    // Writes on both nodes at once, into tables with sequence-backed keys.
    const write = (c: Cluster, tag: string) =>
      c.exec(
        `INSERT INTO shop.customers (email) SELECT '${tag}-' || i || '@example.com' FROM generate_series(1, 20) i;
         INSERT INTO shop.orders (customer_id, total) SELECT 1, i FROM generate_series(1, 20) i;`,
        DB,
      );
    await Promise.all([write(n1, 'n1'), write(n2, 'n2')]);
    const ids = async (c: Cluster) => (await c.query<{ id: string }>(`SELECT id::text FROM shop.orders WHERE id > ${sourceMax} ORDER BY id`, [], DB)).map((r) => r.id);
    await waitFor('every write on one node to reach the other', async () => (await ids(n1)).length === 40 && (await ids(n2)).length === 40);
    const onN1 = await ids(n1);
    expect(await ids(n2)).toEqual(onN1);
    expect(new Set(onN1).size).toBe(40); // no key handed out twice
    expect(onN1.every((id) => BigInt(id) > BigInt(sourceMax))).toBe(true); // all past the source's values

    const after = await compareClusters([n1, n2], DB, tables);
    expect(after.filter((t) => !t.equal)).toEqual([]);
    // No replication slot of the migration is left on the source.
    expect((await source.query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'mm_%'")).length).toBe(0);
  });
});

describe.skipIf(!hasPglogical)('migrate check on a pglogical target', () => {
  it('reports a node-to-node subscription that forwards changes of other origins', async () => {
    const db = 'fwd';
    await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
    const at = (c: Cluster) => `host=127.0.0.1 port=${c.port} dbname=${db} user=postgres password=${c.password}`;
    await n2.exec(`CREATE EXTENSION pglogical; SELECT pglogical.create_node(node_name := 'n2f', dsn := '${at(n2)}')`, db);
    await n1.exec(`CREATE EXTENSION pglogical; SELECT pglogical.create_node(node_name := 'n1f', dsn := '${at(n1)}')`, db);
    await n1.exec(`SELECT pglogical.create_subscription(subscription_name := 'n1f_from_n2f', provider_dsn := '${at(n2)}', synchronize_structure := false, synchronize_data := false, forward_origins := '{all}')`, db);
    const dir = tempDir('fwd');
    const { file, env } = writePlan(dir, { name: 'fwd', source, nodes: [n1, n2], db });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pglogical\n'));
    const r = await runCli(['check', file, '--json'], { cwd: dir, env });
    const f = (JSON.parse(r.stdout).findings as { id: string; severity: string; target: string; found: string; fix: string }[]).filter((x) => x.id === 'node.forward_origins');
    expect(f.find((x) => x.target === 'n1')).toMatchObject({ severity: 'error', found: expect.stringContaining('n1f_from_n2f'), fix: expect.stringContaining("forward_origins := '{}'") });
    expect(f.find((x) => x.target === 'n2')).toMatchObject({ severity: 'info' });
    expect(r.code).toBe(1);
  });
});
