// A rollback stopped outright (SIGKILL) after the nodes' freeze: status tells
// the truth meanwhile, and rollback run again completes, exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, startWriteLoad, compareClusters, userTables, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, databaseClosed, openForReading, SAMPLE_SCHEMA, SAMPLE_LOAD, takesSampleWrite } from './support.js';

let source: Cluster, n1: Cluster;

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

describe('a rollback killed after the nodes\' freeze', () => {
  it('leaves the nodes frozen and says so in status; rollback run again completes and the source equals the node', async () => {
    const db = 'rb_kill';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir('rb-kill');
    const extra = 'cutover:\n  vacuum: false\n  fallback:\n    enabled: true\nrollback:\n  switch_hook:\n    run: test -e killed || { touch killed; kill -9 $PPID; }\n';
    const { file, env } = writePlan(dir, { name: 'rb-kill', source, nodes: [n1], db, extra });
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const co = await runCli(['cutover', file], { cwd: dir, env });
    expect(co.code, co.stdout + co.stderr).toBe(0);

    const load = startWriteLoad(n1, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    let killed;
    try {
      await new Promise((res) => setTimeout(res, 1500));
      killed = await runCli(['rollback', file], { cwd: dir, env });
    } finally {
      await load.stop();
    }
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await takesSampleWrite(n1, db)).toBe(false);
    expect(await takesSampleWrite(source, db)).toBe(false);
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/!! Writes on the nodes are frozen since .* by a rollback that did not finish.*`migrate rollback/s);

    const again = await runCli(['rollback', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await databaseClosed(n1, db)).toBe(true);
    await openForReading(n1, db);
    expect((await compareClusters([source, n1], db, await userTables(source, db))).filter((t) => !t.equal)).toEqual([]);
    expect(await takesSampleWrite(source, db)).toBe(true);
    expect(await takesSampleWrite(n1, db)).toBe(false);
    expect((await runCli(['status', file], { cwd: dir, env })).stdout).toContain('Rolled back at');
    // Done is done: a third run changes nothing.
    const third = await runCli(['rollback', file], { cwd: dir, env });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Nothing to do');
  });
});

describe('the fallback stream on failure paths', () => {
  it('a cutover called off before its switch removes its fallback stream; a rollback failing at its switch_hook unfreezes the nodes', async () => {
    const db = 'rb_fail';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir('rb-fail');
    const extra = 'cutover:\n  vacuum: false\n  fallback:\n    enabled: true\nrollback:\n  switch_hook:\n    run: exit 3\nhooks:\n  - before: switch\n    run: test -e called-off || { touch called-off; exit 1; }\n';
    const { file, env } = writePlan(dir, { name: 'rb-fail', source, nodes: [n1], db, extra });
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const off = await runCli(['cutover', file], { cwd: dir, env });
    expect(off.code).toBe(1);
    expect(await takesSampleWrite(source, db)).toBe(true);
    expect(await n1.query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'rb_fail_fallback%'")).toEqual([]);
    expect(await n1.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
    expect(await source.query("SELECT subname FROM pg_subscription WHERE subname LIKE 'rb_fail_fallback%'", [], db)).toEqual([]);

    const co = await runCli(['cutover', file], { cwd: dir, env });
    expect(co.code, co.stdout + co.stderr).toBe(0);
    await n1.exec("INSERT INTO shop.customers (email) VALUES ('before-failed-rollback@example.com')", db);
    const rb = await runCli(['rollback', file], { cwd: dir, env });
    expect(rb.code).toBe(1);
    expect(rb.stderr).toContain('The nodes take writes again and the fallback stream keeps running');
    expect(await takesSampleWrite(n1, db)).toBe(true);
    expect(await takesSampleWrite(source, db)).toBe(false);
    expect((await source.query("SELECT subenabled FROM pg_subscription WHERE subname = 'rb_fail_fallback_sub'", [], db))[0]).toEqual({ subenabled: true });
  });
});
