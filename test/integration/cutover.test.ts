// migrate cutover and migrate abort against real clusters: a write freeze for
// every writer, exact nodes at the freeze, safe sequences, a source that is
// writable again whenever the cutover is called off, and nothing left behind.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { SAMPLE_LOAD, clustersForFile, reportProblems, runCli, takesSampleWrite } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));
const setUp = (name: string, extra = '') => migration(name, { extra });

function lastReport(dir: string, name: string, stage: string): Record<string, any> {
  const runs = join(dir, '.migrate', name, 'runs');
  const last = readdirSync(runs).filter((r) => r.endsWith(stage)).sort().pop()!;
  return JSON.parse(readFileSync(join(runs, last, 'report.json'), 'utf8'));
}

const sourceWritable = (db: string) => takesSampleWrite(source, db);

async function leftovers(db: string, tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const r of await source.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [`${tag}%`])) found.push(`slot ${r.slot_name}`);
  for (const r of await source.query<{ pubname: string }>('SELECT pubname FROM pg_publication', [], db)) found.push(`publication ${r.pubname}`);
  // pg_subscription is shared by the whole cluster: only this database's count.
  for (const n of [n1, n2]) for (const r of await n.query<{ subname: string }>('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [], db)) found.push(`subscription ${r.subname} on ${n.name}`);
  return found;
}

describe('migrate cutover', () => {
  it('completes under a write load: nodes equal the frozen source, sequences are past it, downtime is reported', async () => {
    const { db, dir, file, env } = await setUp('co-load');
    // A table whose name holds a dot: counted and compared as one name, not split in two.
    await source.exec('CREATE TABLE shop."odd.name" (id int PRIMARY KEY); INSERT INTO shop."odd.name" SELECT generate_series(1, 10);', db);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 4, rate: 300 });
    let r;
    try {
      expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
      await new Promise((res) => setTimeout(res, 1000));
      r = await runCli(['cutover', file], { cwd: dir, env });
    } finally {
      await load.stop(); // its sessions are ended by the freeze: that is the point
    }
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Writes were frozen for \d+ ms/);

    const tables = await userTables(source, db);
    const diff = (await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal);
    expect(diff).toEqual([]);

    // The next value each sequence hands out; read from the sequence itself, since
    // pg_sequences shows NULL for a sequence set with is_called = false.
    const next = async (c: Cluster) => {
      const out = new Map<string, bigint>();
      for (const { name } of await c.query<{ name: string }>("SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences", [], db)) {
        const [s] = await c.query<{ last_value: string; is_called: boolean; inc: string }>(`SELECT last_value::text, is_called, (SELECT increment_by::text FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = '${name}') AS inc FROM ${name}`, [], db);
        out.set(name, BigInt(s.last_value) + (s.is_called ? BigInt(s.inc) : 0n));
      }
      return out;
    };
    const src = await next(source);
    expect(src.size).toBeGreaterThanOrEqual(3);
    for (const n of [n1, n2]) for (const [name, v] of await next(n)) expect(v, `${name} on ${n.name}`).toBeGreaterThan(src.get(name)!);

    const report = lastReport(dir, 'co-load', 'cutover');
    expect(await reportProblems(report)).toBeNull();
    expect(report.status).toBe('succeeded');
    expect(typeof report.cutover.write_downtime_ms).toBe('number');
    expect(report.cutover.frozen_lsn).toMatch(/\//);
    expect(await sourceWritable(db)).toBe(false); // writes go to the nodes now
    expect(await leftovers(db, 'co_load')).toEqual([]);
  });

  it('calls itself off when the nodes cannot reach the frozen position (step 3), and leaves the source writable', async () => {
    const { db, dir, file, env } = await setUp('co-drain', 'hooks:\n  - before: freeze\n    on: n2\n    sql: ALTER SUBSCRIPTION co_drain_sub2 DISABLE\ncutover:\n  timeout_seconds: 2');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 1, rate: 50 });
    await new Promise((res) => setTimeout(res, 500));
    const r = await runCli(['cutover', file], { cwd: dir, env });
    await load.stop();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('writable again');
    expect(r.stderr).toContain('nothing was lost');
    expect(await sourceWritable(db)).toBe(true);
    expect((await source.query('SHOW default_transaction_read_only', [], db))[0]).toEqual({ default_transaction_read_only: 'off' });
    // Replication keeps running: re-enabled, n2 catches up with everything written meanwhile.
    await n2.exec('ALTER SUBSCRIPTION co_drain_sub2 ENABLE', db);
    const status = await runCli(['status', file, '--json'], { cwd: dir, env });
    expect(JSON.parse(status.stdout).nodes.map((n: { slot_state: unknown }) => Boolean(n.slot_state))).toEqual([true, true]);
  });

  it('calls itself off when a node becomes unreachable after the drain (steps 4-5), and leaves the source writable', async () => {
    const stopN2 = `runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${n2.dataDir} -m immediate -w stop || ${PG_BIN}/pg_ctl -D ${n2.dataDir} -m immediate -w stop`;
    const { db, dir, file, env } = await setUp('co-lost', `hooks:\n  - after: drain\n    run: "${stopN2}"`);
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['cutover', file], { cwd: dir, env, timeoutMs: 60_000 });
    await n2.restart();
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('writable again');
    expect(await sourceWritable(db)).toBe(true);
    const report = lastReport(dir, 'co-lost', 'cutover');
    expect(await reportProblems(report)).toBeNull(); // a failed run's report too
    expect(report.cutover.source_left).toContain('writable again');
  });
});

describe('a cutover stopped outright while writes are frozen', () => {
  it('is shown loudly by status, and the next cutover unfreezes first, then completes', async () => {
    const { db, dir, file, env } = await setUp('co-killed', 'hooks:\n  - after: freeze\n    run: test -e killed || { touch killed; kill -9 $PPID; }');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const killed = await runCli(['cutover', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await sourceWritable(db)).toBe(false);
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/!! Writes to the source database co_killed are frozen since .*`migrate abort/s);
    expect(status.code, 'a frozen source is not a healthy state').toBe(1);
    expect(JSON.parse((await runCli(['status', file, '--json'], { cwd: dir, env })).stdout).writes_frozen_since).toMatch(/^20/);

    const again = await runCli(['cutover', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr).toContain('A previous cutover stopped while writes were frozen: unfreezing the source');
    const tables = await userTables(source, db);
    expect((await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal)).toEqual([]);
    expect(await leftovers(db, 'co_killed')).toEqual([]);
  });
});

describe('migrate abort', () => {
  it('after a failed apply leaves no slot, publication or subscription anywhere, and can run twice', async () => {
    const { db, dir, file, env } = await setUp('ab-failed', 'hooks:\n  - after: subscribe\n    run: exit 3');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/slots ab_failed_slot1, ab_failed_slot2 stay on the source/);
    expect((await leftovers(db, 'ab_failed')).length).toBeGreaterThan(0);
    const first = await runCli(['abort', file], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('removed slot ab_failed_slot1');
    expect(await leftovers(db, 'ab_failed'), first.stdout + first.stderr).toEqual([]);
    const second = await runCli(['abort', file], { cwd: dir, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to remove');
  });

  it('after a finished apply removes everything, and --drop-data empties the nodes', async () => {
    const { db, dir, file, env } = await setUp('ab-done');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const r = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(await leftovers(db, 'ab_done')).toEqual([]);
    expect(await userTables(n1, db)).toEqual([]);
    expect((await userTables(source, db)).length).toBeGreaterThan(0); // the source keeps its data, of course
  });
});
