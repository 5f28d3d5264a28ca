// The write freeze as a wall: writers that would get past default_transaction_read_only
// (prepared transactions, PGOPTIONS, BEGIN READ WRITE, SET ... = off) either cannot
// write while the cutover runs, or the cutover calls itself off before its switch,
// naming them. And the downtime reported across a cutover killed while frozen.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { spawn } from 'node:child_process';
import { CLI, SAMPLE_LOAD, clustersForFile, reportProblems, runCli, waitForSlots, type Migration, takesSampleWrite } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c), { max_prepared_transactions: 5 });

/** A migration of the file's own, applied. */
async function setUp(name: string, extra = ''): Promise<Migration> {
  const { db, dir, file, env } = await migration(name, { extra });
  expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
  return { db, dir, file, env };
}

function lastReport(dir: string, name: string): Record<string, any> {
  const runs = join(dir, '.migrate', name, 'runs');
  const last = readdirSync(runs).filter((r) => r.endsWith('cutover')).sort().pop()!;
  return JSON.parse(readFileSync(join(runs, last, 'report.json'), 'utf8'));
}

const sourceWritable = (db: string) => takesSampleWrite(source, db);

async function exactEverywhere(db: string): Promise<string[]> {
  const tables = await userTables(source, db);
  return (await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal).map((t) => t.table);
}

/** A called-off cutover leaves the source as it was: writable, open, replication running (n1 and n2 catch up). */
async function expectCalledOff(db: string): Promise<void> {
  expect(await sourceWritable(db)).toBe(true);
  expect((await source.query('SHOW default_transaction_read_only', [], db))[0]).toEqual({ default_transaction_read_only: 'off' });
  expect((await source.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db]))[0].datallowconn).toBe(true);
  await waitForSlots(source, db);
}

type WriterKind = 'pgoptions' | 'begin-read-write' | 'set-off';

/**
 * A writer that sets out to write past the freeze: it connects again after
 * every write (and after being ended), and overrides the read-only default
 * its own way. Records the writes the source acknowledged.
 */
function startRogueWriter(db: string, kind: WriterKind, stopFile: string) {
  const acked: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped && !existsSync(stopFile); i++) {
      const client = new pg.Client({
        host: source.host, port: source.port, user: 'postgres', password: source.password, database: db,
        application_name: `rogue-${kind}`,
        ...(kind === 'pgoptions' ? { options: '-c default_transaction_read_only=off' } : {}),
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const key = `rogue-${kind}-${i}`;
        if (kind === 'pgoptions') {
          await client.query("INSERT INTO public.documents (name, body) VALUES ($1, '\\x00')", [key]);
        } else if (kind === 'begin-read-write') {
          await client.query('BEGIN READ WRITE');
          await client.query("INSERT INTO public.documents (name, body) VALUES ($1, '\\x00')", [key]);
          await client.query('COMMIT');
        } else {
          // Takes a value from the identity's sequence, too.
          await client.query('SET default_transaction_read_only = off');
          await client.query('INSERT INTO shop.customers (email) VALUES ($1)', [`${key}@example.com`]);
        }
        acked.push(key);
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      } finally {
        await client.end().catch(() => undefined);
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

/** One session that writes (read-only overridden) as fast as it can, and connects again only when it loses the session. */
function startPersistentWriter(db: string) {
  const acked: string[] = [];
  let stopped = false;
  const done = (async () => {
    let i = 0;
    while (!stopped) {
      const client = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: db, application_name: 'rogue-persistent', options: '-c default_transaction_read_only=off' });
      client.on('error', () => undefined);
      try {
        await client.connect();
        while (!stopped) {
          const key = `rogue-persistent-${i++}`;
          await client.query("INSERT INTO public.documents (name, body) VALUES ($1, '\\x00')", [key]);
          acked.push(key);
          await new Promise((r) => setTimeout(r, 5));
        }
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      } finally {
        await client.end().catch(() => undefined);
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

/** Every write a rogue writer had acknowledged is on both nodes. */
async function missingOnNodes(db: string, acked: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const n of [n1, n2]) {
    const docs = new Set((await n.query<{ name: string }>("SELECT name FROM public.documents WHERE name LIKE 'rogue-%'", [], db)).map((r) => r.name));
    const custs = new Set((await n.query<{ email: string }>("SELECT email FROM shop.customers WHERE email LIKE 'rogue-%'", [], db)).map((r) => r.email.replace(/@example\.com$/, '')));
    for (const k of acked) if (!docs.has(k) && !custs.has(k)) missing.push(`${k} on ${n.name}`);
  }
  return missing;
}

describe('prepared transactions and the freeze', () => {
  it('one prepared before the cutover is refused at the readiness check, named with the fix, and nothing is frozen', async () => {
    const { db, dir, file, env } = await setUp('fw-prepared');
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    const holder = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: db });
    await holder.connect();
    await holder.query("BEGIN; INSERT INTO public.documents (name, body) VALUES ('prepared-early', '\\x01'); PREPARE TRANSACTION 'fw_early'");
    await holder.end();
    const r = await runCli(['cutover', file], { cwd: dir, env });
    // Committed once the cutover has finished (or was refused): today it lands on the source alone.
    await source.exec("COMMIT PREPARED 'fw_early'", db).catch(async () => {
      // The source is read-only after a completed cutover: a writer that overrides that gets through.
      const c = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: db, options: '-c default_transaction_read_only=off' });
      await c.connect();
      await c.query("COMMIT PREPARED 'fw_early'");
      await c.end();
    });
    await load.stop();
    if (r.code === 0) {
      expect(await exactEverywhere(db)).toEqual([]);
      return;
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain("'fw_early'");
    expect(r.stderr).toContain("COMMIT PREPARED 'fw_early'");
    expect(r.stderr).toContain("ROLLBACK PREPARED 'fw_early'");
    expect(r.stderr).toContain('Nothing was frozen');
    await expectCalledOff(db);
    expect(await exactEverywhere(db)).toEqual([]);
    // With none left, the cutover goes through and the prepared row is on every node.
    const again = await runCli(['cutover', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await exactEverywhere(db)).toEqual([]);
    expect((await n2.query("SELECT count(*)::int AS n FROM public.documents WHERE name = 'prepared-early'", [], db))[0].n).toBe(1);
  });

  it('one prepared after the readiness check is found after the freeze: the cutover is called off before its switch', async () => {
    // The hook's session is the tool's own: it prepares between the readiness check and the freeze.
    const { db, dir, file, env } = await setUp('fw-prepared-late', "hooks:\n  - before: freeze\n    sql: \"BEGIN; INSERT INTO public.documents (name, body) VALUES ('prepared-late', '\\\\x01'); PREPARE TRANSACTION 'fw_late'\"");
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    const r = await runCli(['cutover', file], { cwd: dir, env });
    const prepared = await source.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts WHERE database = $1', [db]);
    if (prepared.length) {
      const c = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: db, options: '-c default_transaction_read_only=off' });
      await c.connect();
      await c.query("COMMIT PREPARED 'fw_late'");
      await c.end();
    }
    await load.stop();
    if (r.code === 0) {
      expect(await exactEverywhere(db)).toEqual([]);
      return;
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain("'fw_late'");
    expect(r.stderr).toContain("ROLLBACK PREPARED 'fw_late'");
    expect(r.stderr).toContain('writable again');
    await expectCalledOff(db);
    expect(await exactEverywhere(db)).toEqual([]);
    expect(lastReport(dir, 'fw-prepared-late').cutover.switched_at).toBeNull();
  });
});

describe('writers that override the read-only default', () => {
  it('PGOPTIONS, BEGIN READ WRITE and SET default_transaction_read_only = off get nothing past the freeze', async () => {
    // The writers stop once the cutover has dropped its publications: writes after
    // that would go to an old source whatever the tool does. Until then they retry.
    // The hook's SQL during the freeze runs on the tool's own session of the closed database.
    const stop = 'writers-stop';
    const { db, dir, file, env } = await setUp('fw-rogue', `hooks:\n  - after: freeze\n    sql: SELECT pg_sleep(0.5)\n  - after: drop-publications\n    run: sleep 0.5 && touch ${stop} && sleep 0.3`);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    const writers = (['pgoptions', 'begin-read-write', 'set-off'] as const).map((k) => startRogueWriter(db, k, join(dir, stop)));
    await new Promise((res) => setTimeout(res, 500));
    let r;
    try {
      r = await runCli(['cutover', file], { cwd: dir, env });
    } finally {
      await Promise.all(writers.map((w) => w.stop()));
      await load.stop();
    }
    const acked = writers.flatMap((w) => w.acked);
    expect(acked.length).toBeGreaterThan(0); // they did write, before the freeze
    if (r.code === 1) {
      // Called off: before the switch, naming the writer; what it wrote reaches the nodes.
      expect(r.stderr).toMatch(/pid \d+, user postgres, application_name "rogue-/);
      await expectCalledOff(db);
    } else {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect((await source.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db]))[0].datallowconn).toBe(true);
    }
    expect(await missingOnNodes(db, acked)).toEqual([]);
    expect(await exactEverywhere(db)).toEqual([]);
    if (r.code === 0) {
      // The sequence the SET writer took values from is past them on every node.
      const [{ max }] = await source.query<{ max: string }>('SELECT max(id)::text AS max FROM shop.customers', [], db);
      for (const n of [n1, n2]) {
        const [{ id }] = await n.query<{ id: string }>("INSERT INTO shop.customers (email) VALUES ('after-switch-' || clock_timestamp() || '@example.com') RETURNING id::text AS id", [], db);
        expect(BigInt(id), n.name).toBeGreaterThan(BigInt(max));
      }
      const report = lastReport(dir, 'fw-rogue');
      expect(await reportProblems(report)).toBeNull();
      expect(report.tasks.find((t: { id: string }) => t.id === 'reopen')?.status).toBe('succeeded');
    }
  });
});

describe('the last look before the switch', () => {
  it('names a writer that got in when the wall was breached during the freeze, and calls the cutover off', async () => {
    // Someone opens the database again while it is frozen (here a hook, as a DBA could):
    // the writer gets a session and writes after the frozen position.
    const name = 'fw-breach';
    const db = name.replace(/-/g, '_');
    const reopen = `PGPASSWORD=$SOURCE_PASSWORD ${PG_BIN}/psql -X -q -h 127.0.0.1 -p ${source.port} -U postgres -d postgres -c 'ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true'`;
    const { dir, file, env } = await setUp(name, `hooks:\n  - after: drain\n    run: "${reopen} && sleep 1"`);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    const writer = startPersistentWriter(db);
    let r;
    try {
      r = await runCli(['cutover', file], { cwd: dir, env });
    } finally {
      await writer.stop();
      await load.stop();
    }
    expect(writer.acked.length).toBeGreaterThan(0);
    if (r.code === 0) {
      expect(await missingOnNodes(db, writer.acked)).toEqual([]);
      expect(await exactEverywhere(db)).toEqual([]);
      return;
    }
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the write freeze did not hold: a session of the source database fw_breach besides this tool's: pid \d+, user postgres, application_name "rogue-persistent", client 127\.0\.0\.1/);
    expect(r.stderr).toContain('writable again');
    await expectCalledOff(db);
    // Replication kept running: what the writer wrote is on the nodes.
    expect(await missingOnNodes(db, writer.acked)).toEqual([]);
    expect(await exactEverywhere(db)).toEqual([]);
    const report = lastReport(dir, name);
    expect(report.cutover.switched_at).toBeNull();
    expect(report.cutover.source_left).toContain('writable again');
  });
});

describe('the closed database on the ways out', () => {
  it('a Ctrl-C while frozen opens and unfreezes the source; after a kill while frozen, abort does', async () => {
    const { db, dir, file, env } = await setUp('fw-ways-out', 'hooks:\n  - after: freeze\n    run: test -e first || { touch first; exec sleep 30; }; test -e second || { touch second; kill -9 $PPID; }');
    const closed = async () => !(await source.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db]))[0].datallowconn;
    const child = spawn(process.execPath, [CLI, 'cutover', file], { cwd: dir, env: { ...process.env, CI: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    while (!stdout.includes('start   [hook:1]')) await new Promise((r) => setTimeout(r, 100));
    expect(await closed()).toBe(true);
    child.kill('SIGINT');
    expect(await exited, stdout + stderr).toBe(1);
    expect(stderr).toContain('was interrupted');
    expect(await closed()).toBe(false);
    expect(await sourceWritable(db)).toBe(true);

    const killed = await runCli(['cutover', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await closed()).toBe(true);
    const abort = await runCli(['abort', file], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(await closed()).toBe(false);
    expect(await sourceWritable(db)).toBe(true);
    expect((await source.query('SHOW default_transaction_read_only', [], db))[0]).toEqual({ default_transaction_read_only: 'off' });
  });
});

describe('the downtime figure', () => {
  it('after a cutover killed while frozen and run again, covers the whole time writes were frozen, and says the switch did nothing', async () => {
    // With the full check, whose source sessions are opened before the database closes.
    const { db, dir, file, env } = await setUp('fw-downtime', 'cutover:\n  check: full\nhooks:\n  - after: freeze\n    run: test -e killed || { touch killed; sleep 1; kill -9 $PPID; }');
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    const killed = await runCli(['cutover', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    const journal = JSON.parse(readFileSync(join(dir, '.migrate', 'fw-downtime', 'journal.json'), 'utf8'));
    const firstFreeze = journal.facts.freeze.frozen_at as string;
    expect(await sourceWritable(db)).toBe(false);
    await new Promise((res) => setTimeout(res, 1500));
    const rerunAt = Date.now();
    const again = await runCli(['cutover', file], { cwd: dir, env });
    await load.stop();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const report = lastReport(dir, 'fw-downtime');
    expect(await reportProblems(report)).toBeNull();
    expect(report.cutover.freeze_started_at).toBe(firstFreeze);
    expect(report.cutover.write_downtime_ms).toBeGreaterThanOrEqual(rerunAt - new Date(firstFreeze).getTime());
    expect(report.cutover.write_downtime_ms).toBe(new Date(report.cutover.switched_at).getTime() - new Date(firstFreeze).getTime());
    expect(report.cutover.freeze_attempts).toBe(2);
    expect(report.cutover.downtime_note).toMatch(/first of 2 freezes/);
    expect(report.cutover.downtime_note).toMatch(/No switch_hook: the measurement ends at a switch step that did nothing/);
    const md = readFileSync(join(dir, '.migrate', 'fw-downtime', 'runs', readdirSync(join(dir, '.migrate', 'fw-downtime', 'runs')).filter((r) => r.endsWith('cutover')).sort().pop()!, 'report.md'), 'utf8');
    expect(md).toContain('switch step that did nothing');
    expect(again.stdout).toMatch(/Writes were frozen for \d+ ms \(from the first of 2 freezes to the switch\)/);
    expect(await exactEverywhere(db)).toEqual([]);
  });
});
