// Two ways a run said "done" while rows were missing or about to collide:
// a table the publication carries that a node's subscription does not know
// (its changes silently discarded on that node), and sequences read from
// pg_sequences, whose last_value is NULL whenever is_called is false, or
// named by splitting a qualified name at a dot.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { clustersForFile, runCli, takesSampleWrite, type FixStep } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

// A subscription worker stopped by a missing column restarts after this interval (5 s by default).
const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c), { wal_retrieve_retry_interval: '500ms' });

const SHOP = `CREATE SCHEMA shop;
CREATE TABLE shop.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES shop.customers (id), total numeric(12, 2) NOT NULL);
INSERT INTO shop.customers (email) SELECT 'customer' || i || '@example.com' FROM generate_series(1, 500) i;
INSERT INTO shop.orders (customer_id, total) SELECT 1 + i % 500, i % 90 + 0.5 FROM generate_series(1, 2000) i;`;

const setUp = (name: string, nodes: Cluster[], schema: string, extra = '') => migration(name, { nodes, schema, extra });

const sourceWritable = (db: string) => takesSampleWrite(source, db);

describe('tables the publication carries and a subscription does not know', () => {
  it('status, verify and cutover name each table and column with its fix; after the printed fix the cutover completes and the nodes are exact', async () => {
    const { db, dir, file, env } = await setUp('cov-gap', [n1, n2], SHOP);
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    // As check advises: created on every node first, then written on the source.
    // n2 was given a copy by hand that is stale by now.
    await Promise.all([source, n1, n2].map((c) => c.exec('CREATE TABLE shop.late (id int PRIMARY KEY, v text NOT NULL)', db)));
    await n2.exec("INSERT INTO shop.late VALUES (1, 'copied by hand'), (9999, 'gone on the source')", db);
    await source.exec("INSERT INTO shop.late SELECT g, 'v' || g FROM generate_series(1, 500) g; UPDATE shop.late SET v = 'changed' WHERE id = 1", db);

    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.code, status.stdout).toBe(1);
    expect(status.stdout).toContain('shop.late');
    expect(status.stdout).toContain('ALTER SUBSCRIPTION cov_gap_sub1 REFRESH PUBLICATION WITH (copy_data = true)');
    expect(status.stdout).toContain('ALTER SUBSCRIPTION cov_gap_sub2 REFRESH PUBLICATION WITH (copy_data = true)');
    // n2's copy has rows: they are stale, and copying onto them would collide.
    expect(status.stdout).toMatch(/n2[^\n]*\n?[^\n]*TRUNCATE shop\.late/);
    expect(status.stdout).not.toMatch(/n1[^\n]*TRUNCATE/);

    const verify = await runCli(['verify', file], { cwd: dir, env });
    expect(verify.code, verify.stdout + verify.stderr).toBe(1);
    expect(verify.stdout).toContain('shop.late');
    expect(verify.stdout).toContain('REFRESH PUBLICATION');

    const refused = await runCli(['cutover', file], { cwd: dir, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toContain('shop.late');
    expect(refused.stderr).toContain('REFRESH PUBLICATION WITH (copy_data = true)');
    expect(refused.stdout + refused.stderr).not.toMatch(/(start|done) +\[freeze\]/);
    expect(await sourceWritable(db)).toBe(true);

    // A table created on the source only, and a row written to it: the stream stops there.
    await source.exec('CREATE TABLE shop."b.c" (id int PRIMARY KEY); INSERT INTO shop."b.c" VALUES (1)', db);
    const missing = await runCli(['status', file], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/shop\."b\.c": published on the source, does not exist on n1/);
    // A column added on the source only (its existing rows take the default), and a row that has it: the stream stops there.
    await source.exec("ALTER TABLE shop.customers ADD COLUMN note text NOT NULL DEFAULT 'none'", db);
    await source.exec("INSERT INTO shop.customers (email, note) VALUES ('stops@example.com', 'written before the fix')", db);
    const json = await runCli(['status', file, '--json'], { cwd: dir, env });
    expect(json.code).toBe(1);
    const coverage = JSON.parse(json.stdout).coverage as { node: string; gaps: { table: string; column: string | null }[]; fix: FixStep[] }[];
    expect(coverage.map((c) => c.node)).toEqual(['n1', 'n2']);
    for (const c of coverage) expect(c.gaps.map((g) => `${g.table}${g.column ? `.${g.column}` : ''}`).sort()).toEqual(['shop."b.c"', 'shop.customers.note', 'shop.late']);
    expect((await runCli(['status', file], { cwd: dir, env })).stdout).toMatch(/shop\.customers[^\n]*note/);

    // The printed fix, step by step, as a DBA would run it.
    const dsn = (c: Cluster) => `postgresql://postgres:${c.password}@127.0.0.1:${c.port}/${db}`;
    for (const c of coverage) {
      const node = c.node === 'n1' ? n1 : n2;
      for (const step of c.fix) {
        if (step.kind === 'sql') await node.exec(step.text, db);
        else await execa('sh', ['-c', step.text], { env: { PATH: `${PG_BIN}:${process.env.PATH}`, SOURCE_DSN: dsn(source), NODE_DSN: dsn(node) } });
      }
    }
    await source.exec("INSERT INTO shop.customers (email, note) VALUES ('late@example.com', 'written after the fix')", db);
    let settled = false;
    for (let i = 0; i < 120 && !settled; i++) {
      settled = (await runCli(['status', file], { cwd: dir, env })).code === 0;
      if (!settled) await new Promise((r) => setTimeout(r, 500));
    }
    expect(settled).toBe(true);

    const cutover = await runCli(['cutover', file], { cwd: dir, env });
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    const tables = await userTables(source, db);
    expect(tables).toEqual(expect.arrayContaining(['shop.late', 'shop."b.c"']));
    expect((await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal)).toEqual([]);
  });

  it('a table created between the readiness check and the freeze is named by the check on the frozen source, which is then unfrozen', async () => {
    const racer = 'CREATE TABLE IF NOT EXISTS shop.racer (id int PRIMARY KEY)';
    const { db, dir, file, env } = await setUp('cov-race', [n1], SHOP, `hooks:\n  - before: freeze\n    sql: ${racer}; INSERT INTO shop.racer VALUES (1)`);
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    // One row on each side: the counts match, the rows do not.
    await n1.exec(`${racer}; INSERT INTO shop.racer VALUES (2)`, db);
    const r = await runCli(['cutover', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/subscription cov_race_sub1 on n1 does not know[^\n]*shop\.racer/);
    expect(await sourceWritable(db)).toBe(true);
  });
});

describe('sequences at cutover', () => {
  const TICKETS = "CREATE SCHEMA shop; CREATE TABLE shop.tickets (id serial PRIMARY KEY, v text); CREATE TABLE shop.customers (id serial PRIMARY KEY, email text);";
  // A restore script's way of leaving a sequence: rows with explicit ids, then setval(..., false).
  const RESTORED = "INSERT INTO shop.tickets (id, v) SELECT g, 'restored' FROM generate_series(1, 5000) g; SELECT setval('shop.tickets_id_seq', 5001, false);";

  for (const [strategy, nodes] of [['copy', 1], ['interleave', 2]] as const) {
    it(`${strategy}: a sequence left by setval(..., false) is set past every value the source used`, async () => {
      const targets = nodes === 1 ? [n1] : [n1, n2];
      const { db, dir, file, env } = await setUp(`seq-${strategy}`, targets, TICKETS, `cutover:\n  sequences:\n    strategy: ${strategy}`);
      expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
      await source.exec(RESTORED, db);
      const cutover = await runCli(['cutover', file], { cwd: dir, env });
      expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
      const [{ max }] = await source.query<{ max: number }>('SELECT max(id) AS max FROM shop.tickets', [], db);
      for (const node of targets) {
        const [{ id }] = await node.query<{ id: number }>("INSERT INTO shop.tickets (v) VALUES ('after the switch') RETURNING id", [], db);
        expect(id, node.name).toBeGreaterThan(max);
      }
    });
  }

  it('a schema whose name holds a dot: apply, cutover, and inserts on the nodes work', async () => {
    const schema = `CREATE SCHEMA shop; CREATE TABLE shop.customers (id serial PRIMARY KEY, email text);
      CREATE SCHEMA "ops.v2"; CREATE TABLE "ops.v2".jobs (id serial PRIMARY KEY, v text); CREATE SEQUENCE "ops.v2"."batch.seq";
      INSERT INTO "ops.v2".jobs (v) SELECT 'j' FROM generate_series(1, 100); SELECT nextval('"ops.v2"."batch.seq"') FROM generate_series(1, 10);`;
    // Named in publish.schemas too: the dump's --schema pattern, the publication and the sequences' scope all take it whole.
    const { db, dir, file, env } = await setUp('seq-dot', [n1, n2], schema, 'publish:\n  schemas: [shop, "ops.v2"]');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.code, status.stdout).toBe(0);
    const cutover = await runCli(['cutover', file], { cwd: dir, env });
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    for (const node of [n1, n2]) {
      const [{ id }] = await node.query<{ id: number }>(`INSERT INTO "ops.v2".jobs (v) VALUES ('after') RETURNING id`, [], db);
      expect(id, node.name).toBeGreaterThan(100);
      const [{ v }] = await node.query<{ v: string }>(`SELECT nextval('"ops.v2"."batch.seq"')::int AS v`, [], db);
      expect(Number(v), node.name).toBeGreaterThan(10);
    }
  });
});
