// cutover.fallback, migrate rollback and migrate finalize against real
// clusters: a reverse stream set up at the switch with no copy, writes on the
// node reaching the source, a rollback that leaves the source equal to the
// frozen nodes with its sequences past theirs, and a finalize that leaves
// nothing of the stream behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, userTables, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, reportProblems, databaseClosed, openForReading, SAMPLE_SCHEMA, SAMPLE_LOAD, takesSampleWrite, waitFor } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

const FALLBACK = 'cutover:\n  vacuum: false\n  fallback:\n    enabled: true\n    warn_after_hours: 0\n';

async function migrated(name: string, extra = FALLBACK): Promise<{ db: string; dir: string; file: string; env: Record<string, string> }> {
  const db = name.replace(/-/g, '_');
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA, db);
  const dir = tempDir(name);
  const { file, env } = writePlan(dir, { name, source, nodes: [n1, n2], db, extra });
  const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 200 });
  try {
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    const r = await runCli(['cutover', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  } finally {
    await load.stop();
  }
  return { db, dir, file, env };
}

function lastReport(dir: string, name: string, stage: string): Record<string, any> {
  const runs = join(dir, '.migrate', name, 'runs');
  const last = readdirSync(runs).filter((r) => r.endsWith(stage)).sort().pop()!;
  return JSON.parse(readFileSync(join(runs, last, 'report.json'), 'utf8'));
}

/** The next value each sequence hands out, read from the sequence itself. */
async function nextValues(c: Cluster, db: string): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const { name, inc } of await c.query<{ name: string; inc: string }>("SELECT format('%I.%I', schemaname, sequencename) AS name, increment_by::text AS inc FROM pg_sequences", [], db)) {
    const [s] = await c.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${name}`, [], db);
    out.set(name, BigInt(s.last_value) + (s.is_called ? BigInt(inc) : 0n));
  }
  return out;
}

/** The highest value of each sequence-fed column: what the nodes handed out. */
async function maxIds(c: Cluster, db: string): Promise<Record<string, bigint>> {
  const [r] = await c.query<Record<string, string>>('SELECT (SELECT max(id) FROM shop.orders)::text AS orders, (SELECT max(id) FROM shop.customers)::text AS customers, (SELECT max(id) FROM public.events)::text AS events', [], db);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, BigInt(v ?? 0)]));
}

async function fallbackLeft(db: string, tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const r of await source.query<{ subname: string }>('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [], db)) found.push(`subscription ${r.subname} on the source`);
  for (const r of await n1.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [`${tag}%`])) found.push(`slot ${r.slot_name} on n1`);
  for (const r of await n1.query<{ pubname: string }>('SELECT pubname FROM pg_publication', [], db)) found.push(`publication ${r.pubname} on n1`);
  return found;
}

describe('cutover with fallback, then migrate rollback', () => {
  it('streams the node\'s writes to the read-only source, and rolls back exactly under a write load: equal rows, sequences past the nodes\', a writable source', async () => {
    const { db, dir, file, env } = await migrated('rb-load');
    // The source stays closed to the application's writes, yet its fallback apply worker writes.
    expect(await takesSampleWrite(source, db)).toBe(false);
    const [sub] = await source.query<{ subenabled: boolean }>("SELECT subenabled FROM pg_subscription WHERE subname = 'rb_load_fallback_sub'", [], db);
    expect(sub.subenabled).toBe(true);
    // No loop: no forward subscription is left on the nodes.
    for (const n of [n1, n2]) expect(await n.query('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [], db)).toEqual([]);

    await n1.exec("INSERT INTO shop.customers (email) VALUES ('after-switch@example.com'); UPDATE shop.customers SET email = 'changed@example.com' WHERE id = 1; DELETE FROM shop.order_items WHERE order_id IN (SELECT id FROM shop.orders ORDER BY id LIMIT 5); DELETE FROM shop.orders WHERE id IN (SELECT id FROM shop.orders ORDER BY id LIMIT 5);", db);
    await waitFor('the insert on n1 to reach the source', async () => (await source.query("SELECT 1 FROM shop.customers WHERE email = 'after-switch@example.com'", [], db)).length === 1);

    // status shows the reverse stream, and warns loudly once its slot has held WAL past warn_after_hours (0 here).
    const st = await runCli(['status', file], { cwd: dir, env });
    expect(st.stdout).toMatch(/Fallback stream n1 -> source: subscription rb_load_fallback_sub streaming \(pid \d+\), lag .*, slot rb_load_fallback_slot holds .* on n1/);
    expect(st.stdout).toMatch(/!! The fallback slot rb_load_fallback_slot has held WAL on n1 for .*`migrate rollback .*`migrate finalize/);
    const stJson = JSON.parse((await runCli(['status', file, '--json'], { cwd: dir, env })).stdout);
    expect(stJson.fallback.worker_pid).toBeGreaterThan(0);
    expect(typeof stJson.fallback.slot_wal_held_bytes).toBe('number');

    const load = startWriteLoad(n1, { db, script: SAMPLE_LOAD, clients: 2, rate: 200 });
    let r;
    try {
      await new Promise((res) => setTimeout(res, 2000));
      r = await runCli(['rollback', file], { cwd: dir, env });
    } finally {
      const ran = await load.stop(); // its sessions are ended by the nodes' freeze
      expect(ran.stderr).toMatch(/terminat|read-only|abort/i);
    }
    if (process.env.SHOW) console.log(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Writes were frozen for \d+ ms/);
    expect(r.stdout).toContain('The nodes stay frozen');
    expect(r.stderr).toContain('n2 is a plain node: writes made on it did not reach the source');
    // The nodes are left closed to connections (and read-only): opened here only to be compared.
    for (const n of [n1, n2]) expect(await databaseClosed(n, db), n.name).toBe(true);
    await openForReading(n1, db);

    const tables = await userTables(source, db);
    expect((await compareClusters([source, n1], db, tables)).filter((t) => !t.equal)).toEqual([]);
    const used = await maxIds(n1, db);
    expect(used.orders).toBeGreaterThan(0n);
    const next = await nextValues(source, db);
    for (const [seq, v] of next) expect(v, seq).toBeGreaterThan(0n);
    expect(next.get('shop.orders_id_seq')!).toBeGreaterThan(used.orders);
    expect(next.get('shop.customers_id_seq')!).toBeGreaterThan(used.customers);
    expect(next.get('public.events_id_seq')!).toBeGreaterThan(used.events);

    // The application's writes go to the source again, sequence-keyed inserts included; the nodes stay frozen.
    const back = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    await new Promise((res) => setTimeout(res, 1500));
    const result = await back.stop();
    expect(result.failed, result.stderr).toBe(false);
    expect(result.transactions).toBeGreaterThan(10);
    expect(await takesSampleWrite(source, db)).toBe(true);
    expect(await takesSampleWrite(n1, db)).toBe(false);
    expect(await fallbackLeft(db, 'rb_load')).toEqual([]);

    // Rolled back, the nodes are stale: apply says so, and abort --drop-data empties them (unfreezing them to do so) for a new migration.
    const again = await runCli(['apply', file], { cwd: dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/rolled back to the source .*stale data.*--drop-data/s);
    const ab = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(ab.code, ab.stdout + ab.stderr).toBe(0);
    expect(await n1.query("SELECT tablename FROM pg_tables WHERE schemaname = 'shop'", [], db)).toEqual([]);
    expect(await takesSampleWrite(source, db)).toBe(true);

    const report = lastReport(dir, 'rb-load', 'rollback');
    expect(await reportProblems(report)).toBeNull();
    expect(typeof report.rollback.write_downtime_ms).toBe('number');
    expect(report.rollback.nodes_left).toContain('frozen');
  });
});

describe('migrate finalize', () => {
  it('leaves nothing of the fallback stream on either side, keeps the source read-only, and rollback then refuses', async () => {
    const { db, dir, file, env } = await migrated('rb-final', 'cutover:\n  vacuum: false\n  fallback:\n    enabled: true\n');
    await n1.exec("INSERT INTO shop.customers (email) VALUES ('kept-on-nodes@example.com')", db);
    // After the switch, abort explains the choice instead of tearing anything down.
    const ab = await runCli(['abort', file], { cwd: dir, env });
    expect(ab.code).toBe(1);
    expect(ab.stderr).toMatch(/migrate rollback .*migrate finalize .*Nothing was changed/s);
    expect(await fallbackLeft(db, 'rb_final')).not.toEqual([]);

    const st = await runCli(['status', file], { cwd: dir, env });
    expect(st.stdout).not.toContain('!! The fallback slot');

    const r = await runCli(['finalize', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('no longer possible');
    expect(await fallbackLeft(db, 'rb_final')).toEqual([]);
    expect(await takesSampleWrite(source, db)).toBe(false);
    expect(await takesSampleWrite(n1, db)).toBe(true);

    const rb = await runCli(['rollback', file], { cwd: dir, env });
    expect(rb.code).toBe(1);
    expect(rb.stderr).toMatch(/rollback refused: the migration was finalized/);
    expect(await takesSampleWrite(n1, db)).toBe(true); // nothing was frozen
    expect((await runCli(['status', file], { cwd: dir, env })).stdout).toContain('Finalized at');
    expect(await reportProblems(lastReport(dir, 'rb-final', 'finalize'))).toBeNull();
  });
});
