// A real pgEdge cluster as the target: three nodes (PostgreSQL 15 with Spock's
// patches, Spock 5, Snowflake), meshed in every direction before the migration,
// automatic DDL replication on as pgEdge sets it. A stock PostgreSQL 15 source
// with serial, identity and bigserial keys, a standalone sequence the
// application calls by name, and a partitioned table, under a write load
// throughout. After the cutover (sequences: snowflake) all three nodes take
// writes at once, and nothing collides, goes missing or is left behind.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWriteLoad, compareClusters, userTables, type Cluster } from '../harness/index.js';
import { havePgedge, waitForSpockMesh } from '../harness/pgedge.js';
import { INVOICES, INVOICE_LOAD, notSpock, pgedgeClustersForFile, writesOn } from './pgedge-shop.js';
import { runCli, tempDir, writePlan, waitFor } from './support.js';

const DB = 'pge';
const ready = havePgedge('the pgEdge tests');

const EXTRA_SCHEMA = INVOICES(500);
const LOAD = INVOICE_LOAD;

let source: Cluster;
let nodes: Cluster[] = [];

pgedgeClustersForFile(ready, DB, EXTRA_SCHEMA, (s, n) => {
  source = s;
  nodes = n;
});

describe.skipIf(!ready)('a three-node pgEdge cluster (Spock 5, Snowflake) as the target', () => {
  it('migrates under load, cuts over with snowflake sequences, then takes writes on all three nodes with nothing lost, doubled or left behind', async () => {
    const dir = tempDir('pgedge');
    const { file, env } = writePlan(dir, { name: 'pge', source, nodes, db: DB, extra: 'cutover:\n  sequences:\n    strategy: snowflake' });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pgedge\n'));

    const check = await runCli(['check', file, '--json'], { cwd: dir, env });
    const findings = JSON.parse(check.stdout).findings as { id: string; severity: string; target: string; found: string }[];
    expect(findings.filter((f) => f.severity === 'error'), check.stdout).toEqual([]);
    for (const n of ['n1', 'n2', 'n3']) {
      const of = (id: string) => findings.filter((f) => f.id === id && f.target === n);
      expect(of('node.ddl_replication')).toMatchObject([{ severity: 'info', found: expect.stringContaining("spock.enable_ddl_replication, spock.include_ddl_repset, spock.allow_ddl_from_functions on: the migration's sessions turn them off") }]);
      expect(of('node.origin_ids')).toMatchObject([{ severity: 'info', found: expect.stringMatching(/^origin id \d+; Spock node ids .*: no overlap/) }]);
      expect(of('node.snowflake')).toMatchObject([{ severity: 'info', found: expect.stringMatching(new RegExp(`^snowflake.node = ${n.slice(1)} \\(.*\\): distinct$`)) }]);
      expect(of('node.spock_subscriptions')).toEqual([]); // all replicating
    }

    const load = startWriteLoad(source, { db: DB, script: LOAD, clients: 2, rate: 80 });
    let cutover;
    try {
      const apply = await runCli(['apply', file], { cwd: dir, env });
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);
      // DDL replication is on in the cluster; the restore kept its DDL on each node.
      // Under copy.method stream the schema goes in two restores around the copy: both proven.
      const restored = (n: string) => (process.env.COPY_METHOD !== 'dump' ? [`pre-data:${n}\\] tables created on`, `restore:${n}\\] indexes and constraints built on`] : [`restore:${n}\\] restored onto`]);
      for (const n of ['n1', 'n2', 'n3']) for (const r of restored(n)) expect(apply.stdout).toMatch(new RegExp(`\\[${r} ${n} .*Spock queued none of its DDL for the other nodes`));
      // status shows the native streams and, beside them, the Spock mesh.
      const status = await runCli(['status', file], { cwd: dir, env });
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toContain('Spock, between the nodes:');
      expect(status.stdout).toMatch(/n1\s+sub_n1_n2\s+n2\s+replicating\s+none/);
      const statusJson = JSON.parse((await runCli(['status', file, '--json'], { cwd: dir, env })).stdout);
      expect(statusJson.spock.map((x: { node: string; subscriptions: { status: string }[] }) => `${x.node}:${x.subscriptions.map((y) => y.status).join(',')}`)).toEqual(['n1:replicating,replicating', 'n2:replicating,replicating', 'n3:replicating,replicating']);
      // A Spock subscription that is not replicating makes status fail, and shows why.
      await nodes[0].query("SELECT spock.sub_disable('sub_n1_n2', true)", [], DB);
      const down = await runCli(['status', file], { cwd: dir, env });
      await nodes[0].query("SELECT spock.sub_enable('sub_n1_n2', true)", [], DB);
      expect(down.code, down.stdout).toBe(1);
      expect(down.stdout).toMatch(/n1\s+sub_n1_n2\s+n2\s+disabled/);
      await waitForSpockMesh(nodes, DB);
      const verify = await runCli(['verify', file], { cwd: dir, env });
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      cutover = await runCli(['cutover', file], { cwd: dir, env });
    } finally {
      await load.stop();
    }
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    // Per sequence, what the cutover did: snowflake where a column takes the values, interleaved where none does.
    expect(cutover.stdout).toMatch(/\[sequences:n2\] .*shop\.invoice_numbers interleaved, next \d+ step 3 \(no column uses it\)/);
    expect(cutover.stdout).toMatch(/\[sequences:n2\] .*shop\.invoices_id_seq snowflake \(shop\.invoices\.id\)/);
    // Those a column uses were converted before the freeze (Snowflake ids need no value of the source).
    expect(cutover.stdout).toMatch(/\[snowflake:n3\] 4 converted to Snowflake: .*shop\.invoices_id_seq \(shop\.invoices\.id\)/);
    expect(cutover.stdout.indexOf('done    [snowflake:n3]')).toBeLessThan(cutover.stdout.indexOf('start   [freeze]'));

    // Up to the freeze: the three nodes are exactly the frozen source.
    const tables = (await userTables(source, DB)).filter(notSpock);
    const atCutover = await compareClusters([source, ...nodes], DB, tables);
    expect(atCutover.filter((t) => !t.equal)).toEqual([]);
    const before = async (sql: string) => (await source.query<{ v: string }>(sql, [], DB))[0].v;
    const lastInvoiceNumber = BigInt(await before('SELECT max(number)::text AS v FROM shop.invoices'));

    // All three nodes write at once.
    await Promise.all(nodes.map((c, i) => writesOn(c, DB, i + 1, { documents: true })));
    await waitFor('every node to hold what the others wrote', async () => {
      const prints = await compareClusters(nodes, DB, tables);
      return prints.every((t) => t.equal);
    });

    for (const c of nodes) {
      const [counts] = await c.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM shop.customers WHERE email ~ '^n[123]-') AS customers,
                (SELECT count(*) FROM shop.invoices WHERE note ~ '^n[123]$') AS invoices,
                (SELECT count(DISTINCT number) FROM shop.invoices WHERE note ~ '^n[123]$') AS numbers,
                (SELECT count(*) FROM shop.invoices WHERE note ~ '^n[123]$' AND number <= ${lastInvoiceNumber}) AS old_numbers,
                (SELECT count(*) FROM public.events WHERE kind ~ '^n[123]$') AS events,
                (SELECT count(*) FROM public.documents WHERE name ~ '^n[123]-') AS documents,
                (SELECT count(*) FROM shop.invoice_lines WHERE line = 2) AS lines,
                (SELECT count(*) FROM shop.invoices WHERE note = 'seed' AND id <= 300) AS seeds_left,
                (SELECT count(*) FROM shop.customers WHERE id <= 300 AND profile->>'touched_by' = 'n' || (id % 3 + 1)) AS updated`,
        [],
        DB,
      );
      // 60 inserts per table (20 per node), none lost to a key handed out twice.
      expect(counts, c.name).toEqual({ customers: '60', invoices: '60', numbers: '60', old_numbers: '0', events: '60', documents: '60', lines: '60', seeds_left: '0', updated: '300' });
      // Each node's keys come from its own snowflake.node.
      for (const table of ['shop.orders', 'shop.customers', 'shop.invoices', 'public.events']) {
        const makers = await c.query<{ node: string; n: string }>(`SELECT snowflake.get_node(id)::text AS node, count(*)::text AS n FROM ${table} WHERE id > 2147483647 GROUP BY 1 ORDER BY 1`, [], DB);
        expect(makers, `${table} on ${c.name}`).toEqual([{ node: '1', n: '20' }, { node: '2', n: '20' }, { node: '3', n: '20' }]);
      }
      // The standalone sequence is interleaved: each node on its own residue, for every value it will ever hand out.
      const residues = await c.query<{ note: string; r: string[] }>("SELECT note, array_agg(DISTINCT number % 3 ORDER BY number % 3)::text[] AS r FROM shop.invoices WHERE note ~ '^n[123]$' GROUP BY 1 ORDER BY 1", [], DB);
      expect(residues.map((x) => x.r.length)).toEqual([1, 1, 1]);
      expect(new Set(residues.map((x) => x.r[0])).size).toBe(3);
      expect(await c.query("SELECT increment_by::text AS step FROM pg_sequences WHERE sequencename = 'invoice_numbers'", [], DB)).toEqual([{ step: '3' }]);
      // The serial key and the foreign key to it were widened to hold snowflake ids.
      const types = await c.query("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'shop' AND (table_name, column_name) IN (('invoices', 'id'), ('invoice_lines', 'invoice_id')) ORDER BY 1", [], DB);
      expect(types).toEqual([{ table_name: 'invoice_lines', column_name: 'invoice_id', data_type: 'bigint' }, { table_name: 'invoices', column_name: 'id', data_type: 'bigint' }]);
      expect(await c.query('SELECT * FROM spock.exception_log', [], DB)).toEqual([]);
      // Neither the restore nor the sequences' conversion sent DDL to the other nodes.
      expect(await c.query('SELECT message FROM spock.queue', [], DB)).toEqual([]);
      const log = readFileSync(join(c.dataDir, 'server.log'), 'utf8');
      expect(log.split('\n').filter((l) => /CONFLICT|duplicate key|spock.*ERROR/i.test(l)), c.name).toEqual([]);
    }

    // Nothing of the migration is left, and the mesh replicates.
    expect(await source.query("SELECT slot_name FROM pg_replication_slots", [], DB)).toEqual([]);
    expect(await source.query('SELECT pubname FROM pg_publication', [], DB)).toEqual([]);
    for (const c of nodes) {
      expect(await c.query('SELECT subname FROM pg_subscription', [], DB)).toEqual([]);
      expect(await c.query("SELECT roname FROM pg_replication_origin WHERE roname !~ '^spk_'", [], DB)).toEqual([]);
      // Spock starts a mesh worker again after it stops (under this load a node's worker was seen "down" for a
      // moment once): replicating again within the wait, with no exception logged above, is a mesh that works.
      const status = async () => (await c.query<{ status: string }>('SELECT status FROM spock.sub_show_status()', [], DB)).map((s) => s.status);
      await waitFor(`the Spock subscriptions of ${c.name} to replicate`, async () => (await status()).every((x) => x === 'replicating'), 20_000).catch(() => undefined);
      expect(await status()).toEqual(['replicating', 'replicating']);
    }
  });
});

describe.skipIf(!ready)('native origin ids beside Spock node ids', () => {
  it('apply refuses a subscription whose origin id would equal a Spock node id, and says how to move past it', async () => {
    const db = 'clash';
    await Promise.all([source, nodes[0]].map((c) => c.createDatabase(db)));
    await source.exec('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);', db);
    await nodes[0].exec('CREATE EXTENSION spock', db);
    await nodes[0].query('SELECT spock.node_create($1, $2)', ['c1', `host=/tmp port=${nodes[0].port} dbname=${db}`], db);
    // A node known here whose id is the one the next origin will get (Spock's ids are hashes: this stands for the unlucky case).
    const [{ next }] = await nodes[0].query<{ next: number }>('SELECT min(g)::int AS next FROM generate_series(1, 65534) g WHERE g NOT IN (SELECT roident::int FROM pg_replication_origin)', [], db);
    await nodes[0].query("INSERT INTO spock.node (node_id, node_name) VALUES ($1, 'unlucky')", [next], db);
    const dir = tempDir('clash');
    const { file, env } = writePlan(dir, { name: 'clash', source, nodes: [nodes[0]], db });
    writeFileSync(file, readFileSync(file, 'utf8').replace(/(    dsn: .*\n)/g, '$1    kind: pgedge\n'));

    // check says it first, and also what spock.deny_all_ddl would do to the restore.
    await nodes[0].exec(`ALTER DATABASE ${db} SET spock.deny_all_ddl = on`);
    const check = JSON.parse((await runCli(['check', file, '--json'], { cwd: dir, env })).stdout).findings as { id: string; severity: string; found: string }[];
    await nodes[0].exec(`ALTER DATABASE ${db} RESET spock.deny_all_ddl`);
    expect(check.filter((f) => f.severity === 'error').map((f) => `${f.id}: ${f.found}`)).toEqual([
      'node.ddl_replication: spock.deny_all_ddl is on',
      `node.origin_ids: the subscription's origin will get (the lowest free one) id ${next}, the id of Spock node unlucky`,
    ]);

    const apply = await runCli(['apply', file, '--skip-check', 'node.origin_ids'], { cwd: dir, env });
    expect(apply.code).toBe(1);
    expect(apply.stdout + apply.stderr).toContain(`would get id ${next}, which is the id of Spock node unlucky`);
    expect(apply.stdout + apply.stderr).toContain(`pg_replication_origin_create('pgedge_migrate_reserved_${next}')`);
    expect(await nodes[0].query("SELECT subname FROM pg_subscription", [], db)).toEqual([]);

    // The fix, as given: the placeholder takes the id, the subscription's origin the next one.
    await nodes[0].query(`SELECT pg_replication_origin_create('pgedge_migrate_reserved_${next}')`, [], db);
    const again = await runCli(['apply', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`origin id ${next + 1}; Spock node ids .*${next} \\(unlucky\\).*: no overlap`));
    // abort --drop-data drops the restored tables on the node itself: Spock sends none of the DROPs on.
    const abort = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(await nodes[0].query("SELECT to_regclass('public.t') AS t", [], db)).toEqual([{ t: null }]);
    expect(await nodes[0].query('SELECT message FROM spock.queue', [], db)).toEqual([]);
    await nodes[0].query(`SELECT pg_replication_origin_drop('pgedge_migrate_reserved_${next}')`, [], db);
  });
});
