// An apply worker that failed once and is started again must not stop the
// cutover: the readiness check waits for it (wal_retrieve_retry_interval, 5 s
// by default, here left at its default) and then judges the worker as it is.
// It used to judge the look taken before that wait, and refused with "has
// failed and is not running" a worker that was back and applying: the
// Snowflake conversion just before a pgEdge cutover can end one in a deadlock.
import { describe, expect, it } from 'vitest';
import { compareClusters, userTables, type Cluster } from '../harness/index.js';
import { clustersForFile, runCli, waitForSlots } from './support.js';

let source: Cluster, n1: Cluster;
const migration = clustersForFile(['source', 'n1'], (c) => ([source, n1] = c));

const SCHEMA = `CREATE TABLE items (id int PRIMARY KEY, v text);
INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 100) g;`;

async function workerLook(db: string): Promise<{ pid: number | null; errors: number }> {
  const [r] = await n1.query<{ pid: number | null; errors: string }>(
    `SELECT (SELECT pid FROM pg_stat_subscription s WHERE s.subid = st.subid AND s.relid IS NULL) AS pid, st.apply_error_count::text AS errors
       FROM pg_stat_subscription_stats st`,
    [],
    db,
  );
  return { pid: r?.pid ?? null, errors: Number(r?.errors ?? 0) };
}

describe('the cutover after an apply worker failed once', () => {
  it('waits for the worker to start again and cuts over, instead of refusing on the look taken before the wait', async () => {
    const { db, dir, file, env } = await migration('worker-back', { schema: SCHEMA });
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    // A row the node has and the source is about to insert: the worker stops on the duplicate key.
    await n1.exec("INSERT INTO items VALUES (1000, 'only on the node')", db);
    await source.exec("INSERT INTO items VALUES (1000, 'from the source')", db);
    const deadline = Date.now() + 30_000;
    let look = await workerLook(db);
    while (!(look.errors > 0 && look.pid === null)) {
      expect(Date.now() < deadline, 'the worker fails on the duplicate key').toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      look = await workerLook(db);
    }
    // Repaired while it waits to be started again: its next start applies the row.
    await n1.exec('DELETE FROM items WHERE id = 1000', db);

    const cut = await runCli(['cutover', file], { cwd: dir, env });
    expect(cut.code, cut.stdout + cut.stderr).toBe(0);
    expect(cut.stdout).toMatch(/waiting for the apply worker of worker_back_sub1 to start again/);
    expect(await n1.query('SELECT v FROM items WHERE id = 1000', [], db)).toEqual([{ v: 'from the source' }]);
    await waitForSlots(source, db).catch(() => undefined);
    expect((await compareClusters([source, n1], db, await userTables(source, db))).filter((t) => !t.equal)).toEqual([]);
  });
});
