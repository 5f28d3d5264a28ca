// The rollback's freeze of the nodes as a wall, the mirror of the cutover's on
// the source (freeze-wall.test.ts): writers on a node that override
// default_transaction_read_only (PGOPTIONS, BEGIN READ WRITE, SET ... = off)
// get nothing past it, a prepared transaction is refused before anything is
// frozen, the fallback stream's walsender lost while the nodes are closed
// calls the rollback off (it could not connect again), the nodes stay closed
// after the rollback and say how to open them, and abort --drop-data still
// empties them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startClusters, compareClusters, userTables, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, openForReading, SAMPLE_SCHEMA, takesSampleWrite, waitFor } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2'], { max_prepared_transactions: 5 });
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

async function cutOver(name: string, extra = ''): Promise<{ db: string; dir: string; file: string; env: Record<string, string> }> {
  const db = name.replace(/-/g, '_');
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA, db);
  const dir = tempDir(name);
  const { file, env } = writePlan(dir, { name, source, nodes: [n1, n2], db, extra: `cutover:\n  vacuum: false\n  fallback:\n    enabled: true\n    node: n1\n${extra}` });
  expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
  const co = await runCli(['cutover', file], { cwd: dir, env });
  expect(co.code, co.stdout + co.stderr).toBe(0);
  return { db, dir, file, env };
}

function client(c: Cluster, db: string, extra: Partial<pg.ClientConfig> = {}): pg.Client {
  const x = new pg.Client({ host: c.host, port: c.port, user: 'postgres', password: c.password, database: db, ...extra });
  x.on('error', () => undefined);
  return x;
}

async function closed(c: Cluster, db: string): Promise<boolean> {
  return !(await c.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db], 'postgres'))[0].datallowconn;
}

/** Ends the fallback stream's walsender on n1, from another database (n1's own may be closed). */
async function endFallbackWalsender(slot: string): Promise<void> {
  await n1.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot], 'postgres');
  await waitFor('the walsender to go', async () => !(await n1.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot], 'postgres'))[0]?.active, 30_000, 100);
}

type WriterKind = 'pgoptions' | 'begin-read-write' | 'set-off';

/** A writer on n1 that overrides the read-only default its own way and connects again after every write; records what n1 acknowledged. */
function startRogueWriter(db: string, kind: WriterKind) {
  const acked: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const c = client(n1, db, { application_name: `rogue-${kind}`, ...(kind === 'pgoptions' ? { options: '-c default_transaction_read_only=off' } : {}) });
      try {
        await c.connect();
        const key = `rogue-${kind}-${i}@example.com`;
        if (kind === 'begin-read-write') {
          await c.query('BEGIN READ WRITE');
          await c.query('INSERT INTO shop.customers (email) VALUES ($1)', [key]);
          await c.query('COMMIT');
        } else {
          if (kind === 'set-off') await c.query('SET default_transaction_read_only = off');
          await c.query('INSERT INTO shop.customers (email) VALUES ($1)', [key]);
        }
        acked.push(key);
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  })();
  return {
    acked,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

describe('writers on a node that override the read-only default', () => {
  it('PGOPTIONS, BEGIN READ WRITE and SET default_transaction_read_only = off get nothing past the rollback\'s freeze: every write n1 acknowledged is on the source', async () => {
    const { db, dir, file, env } = await cutOver('rw-rogue');
    const writers = (['pgoptions', 'begin-read-write', 'set-off'] as const).map((k) => startRogueWriter(db, k));
    let r;
    try {
      await new Promise((res) => setTimeout(res, 500));
      r = await runCli(['rollback', file], { cwd: dir, env });
      // They keep trying after the rollback: a write the stale nodes took now would reach no source.
      await new Promise((res) => setTimeout(res, 1000));
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
    }
    const acked = writers.flatMap((w) => w.acked);
    expect(acked.length).toBeGreaterThan(0); // they did write, before the freeze
    if (r.code === 1) {
      // Called off before the switch, naming the writer: the stream carries what it wrote.
      expect(r.stderr).toMatch(/pid \d+, user postgres, application_name "rogue-/);
      expect(await closed(n1, db)).toBe(false);
      await new Promise((res) => setTimeout(res, 1000));
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await closed(n1, db)).toBe(true);
    }
    const onSource = new Set((await source.query<{ email: string }>("SELECT email FROM shop.customers WHERE email LIKE 'rogue-%'", [], db)).map((x) => x.email));
    expect(acked.filter((k) => !onSource.has(k))).toEqual([]);
    if (r.code === 0) {
      await openForReading(n1, db);
      expect((await compareClusters([source, n1], db, await userTables(source, db))).filter((t) => !t.equal)).toEqual([]);
    }
  });
});

describe('the nodes\' wall on the ways through and out', () => {
  it('refuses a prepared transaction on a node before freezing; calls the rollback off when the fallback walsender is lost while closed; after a kill, status tells the truth and a rerun waits for the stream; abort --drop-data empties the closed nodes', async () => {
    const name = 'rw-ways';
    const slot = 'rw_ways_fallback_slot';
    const { db, dir, file, env } = await cutOver(name, 'rollback:\n  switch_hook:\n    run: test -e killed || { touch killed; kill -9 $PPID; }\n');

    // A prepared transaction on n1: a COMMIT PREPARED after the switch back would write behind the source's back.
    const holder = client(n1, db);
    await holder.connect();
    await holder.query("BEGIN; INSERT INTO shop.customers (email) VALUES ('prepared@example.com'); PREPARE TRANSACTION 'rw_prepared'");
    await holder.end();
    const refused = await runCli(['rollback', file], { cwd: dir, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toContain("open in n1's database rw_ways: 'rw_prepared'");
    expect(refused.stderr).toContain("COMMIT PREPARED 'rw_prepared'; or ROLLBACK PREPARED 'rw_prepared'");
    expect(refused.stderr).toContain('Nothing was frozen');
    expect(await closed(n1, db)).toBe(false);
    expect(await takesSampleWrite(n1, db)).toBe(true);
    await n1.exec("COMMIT PREPARED 'rw_prepared'", db);

    // The source's apply of n1's next write waits on a lock: the drain is still waiting when the walsender goes.
    const locker = client(source, db, { options: '-c default_transaction_read_only=off' });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE shop.customers IN ACCESS EXCLUSIVE MODE');
    await n1.exec("INSERT INTO shop.customers (email) VALUES ('behind-the-lock@example.com')", db);
    const running = runCli(['rollback', file], { cwd: dir, env });
    await waitFor('n1 to be closed by the rollback', () => closed(n1, db), 30_000, 100);
    await endFallbackWalsender(slot);
    const lost = await running;
    await locker.query('ROLLBACK');
    await locker.end();
    expect(lost.code, lost.stdout + lost.stderr).toBe(1);
    expect(lost.stderr).toContain(`the stream of slot ${slot} disconnected while the nodes were closed to connections`);
    expect(lost.stderr).toContain('The nodes take writes again and the fallback stream keeps running');
    expect(await closed(n1, db)).toBe(false);
    expect(await takesSampleWrite(n1, db)).toBe(true);
    await waitFor('the stream to reconnect and bring n1\'s writes', async () => (await source.query("SELECT 1 FROM shop.customers WHERE email IN ('behind-the-lock@example.com', 'prepared@example.com')", [], db)).length === 2);

    // Killed at its switch_hook: the nodes stay closed, and status says so, with the statements that open them.
    const killed = await runCli(['rollback', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await closed(n1, db)).toBe(true);
    expect(await closed(n2, db)).toBe(true);
    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout).toMatch(/!! Writes on the nodes are frozen since .* by a rollback that did not finish/);
    expect(status.stdout).toContain(`n1: rw_ways closed to new connections (ALLOW_CONNECTIONS false), read-only for new sessions; to open it by hand (psql -d postgres on its server): BEGIN READ WRITE; ALTER DATABASE rw_ways WITH ALLOW_CONNECTIONS true; ALTER DATABASE rw_ways RESET default_transaction_read_only; COMMIT;`);
    expect(status.stdout).toContain('n2: rw_ways closed to new connections');
    // Lost while n1 is closed, the walsender cannot come back: the rerun opens n1, waits for it, and freezes again.
    await endFallbackWalsender(slot);
    await new Promise((res) => setTimeout(res, 1000));
    expect((await n1.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot], 'postgres'))[0].active).toBe(false);
    const again = await runCli(['rollback', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/\[rollback-ready\] .*n1, n2 opened again after the rollback that was stopped/);
    // Left closed, and said so with the statements to open each node by hand.
    expect(again.stdout).toContain('The nodes stay frozen: closed to new connections (ALLOW_CONNECTIONS false) and read-only');
    expect(again.stdout).toContain('on n2 (psql -d postgres on its server): BEGIN READ WRITE; ALTER DATABASE rw_ways WITH ALLOW_CONNECTIONS true; ALTER DATABASE rw_ways RESET default_transaction_read_only; COMMIT;');
    expect(await closed(n1, db)).toBe(true);
    expect(await closed(n2, db)).toBe(true);
    expect(await n1.query('SELECT slot_name FROM pg_replication_slots', [], 'postgres')).toEqual([]);
    // abort --drop-data below must cope with closed nodes: n2 stays closed, n1 is opened only to be compared.
    await openForReading(n1, db);
    expect((await compareClusters([source, n1], db, await userTables(source, db))).filter((t) => !t.equal)).toEqual([]);
    expect(await takesSampleWrite(source, db)).toBe(true);

    // A plain abort leaves the closed nodes as they are and says so (nothing of the replication is left to remove).
    await n1.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`, [], 'postgres');
    const plain = await runCli(['abort', file], { cwd: dir, env });
    expect(plain.code, plain.stdout + plain.stderr).toBe(1);
    expect(plain.stderr).toContain('the nodes stay frozen (closed to connections, read-only): writes were rolled back to the source');
    expect(plain.stderr).not.toContain('abort is incomplete');
    expect(await closed(n1, db)).toBe(true);
    // abort --drop-data, the documented way to empty them for a new apply, opens and empties the closed nodes.
    const ab = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(ab.code, ab.stdout + ab.stderr).toBe(0);
    for (const n of [n1, n2]) {
      expect(await closed(n, db)).toBe(false);
      expect(await n.query("SELECT tablename FROM pg_tables WHERE schemaname = 'shop'", [], db)).toEqual([]);
      expect(await n.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
    }
    expect(await takesSampleWrite(source, db)).toBe(true);
  });
});
