// `migrate verify` against real clusters: a source streaming to n1 and n2 by
// native logical replication (publication + subscription, copy_data), a
// keyed table, a table with a composite key and a table without a key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startClusters, startWriteLoad, type Cluster, type WriteLoad } from '../harness/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const DB = 'app';

const SCHEMA = `
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE ledger (account_id int NOT NULL, seq int NOT NULL, amount numeric NOT NULL, note text, PRIMARY KEY (account_id, seq));
CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT now(), kind text, detail jsonb);
CREATE SEQUENCE ledger_seq START 100000;
`;

const SEED = `
INSERT INTO accounts SELECT g, 'owner ' || g, g % 1000, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second' FROM generate_series(1, 50000) g;
INSERT INTO ledger SELECT g % 500 + 1, g, g * 0.5, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 20000) g;
INSERT INTO audit_log (at, kind, detail) SELECT '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', 'seed', jsonb_build_object('g', g) FROM generate_series(1, 3000) g;
ANALYZE;
`;

// Every transaction touches all three tables: a random account, a new ledger
// row, and (one in four) a new audit row in the keyless table.
const LOAD = `
\\set id random(1, 50000)
\\set acct random(1, 500)
\\set audit random(1, 4)
BEGIN;
UPDATE accounts SET balance = balance + 1, updated_at = now() WHERE id = :id;
INSERT INTO ledger (account_id, seq, amount) VALUES (:acct, nextval('ledger_seq'), 1);
\\if :audit = 1
INSERT INTO audit_log (kind, detail) VALUES ('update', jsonb_build_object('id', :id));
\\endif
END;
`;

const PLAN = `# yaml-language-server: $schema=../schemas/plan.schema.json
version: 1
name: verify-it
source:
  dsn: \${VERIFY_SOURCE_DSN}
nodes:
  - name: n1
    dsn: \${VERIFY_N1_DSN}
  - name: n2
    dsn: \${VERIFY_N2_DSN}
replication:
  - node: n1
    publication: pub_n1
    slot: slot_n1
    subscription: sub_n1
  - node: n2
    publication: pub_n2
    slot: slot_n2
    subscription: sub_n2
`;

let source: Cluster;
let n1: Cluster;
let n2: Cluster;
let dir: string;
let planFile: string;
let load: WriteLoad | undefined;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function verify(...args: string[]) {
  const r = await execa('node', [CLI, 'verify', planFile, ...args], {
    reject: false,
    env: { VERIFY_SOURCE_DSN: source.dsn(DB), VERIFY_N1_DSN: n1.dsn(DB), VERIFY_N2_DSN: n2.dsn(DB) },
  });
  const all = `${r.stdout}\n${r.stderr}`;
  for (const c of [source, n1, n2]) expect(all).not.toContain(c.password);
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), json: args.includes('--json') && r.stdout ? JSON.parse(String(r.stdout)) : undefined };
}

type TableJson = { table: string; status: string; compared: string; key: string[] | null; rows_source: number; rows_node: number; differences: { first: string[]; last: string[]; rows: { key: string[]; problem: string }[] }[]; busy: unknown[] };
const tableOf = (json: any, node: string, table: string): TableJson => json.nodes.find((n: any) => n.node === node).tables.find((t: any) => t.table === table);

async function caughtUp(): Promise<void> {
  // The insert position, not pg_current_wal_lsn(): these clusters commit with synchronous_commit off, so
  // the last commit can still be in the WAL buffers, behind the write position, and a wait for that
  // would end before the node has it (the tool's catch-up and drain read the insert position too).
  const [{ lsn }] = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn', [], DB);
  await waitFor('both slots to confirm the source position', async () => {
    const rows = await source.query<{ ok: boolean }>(
      `SELECT count(*) = 2 AND bool_and(confirmed_flush_lsn >= $1::pg_lsn) AS ok FROM pg_replication_slots WHERE slot_name IN ('slot_n1', 'slot_n2')`,
      [lsn],
      DB,
    );
    return rows[0].ok === true;
  });
}

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['verify-src', 'verify-n1', 'verify-n2']);
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(DB)));
  await Promise.all([source, n1, n2].map((c) => c.exec(SCHEMA, DB)));
  await source.exec(`${SEED} CREATE PUBLICATION pub_n1 FOR ALL TABLES; CREATE PUBLICATION pub_n2 FOR ALL TABLES;`, DB);
  const conn = `host=${source.host} port=${source.port} user=postgres password=${source.password} dbname=${DB}`;
  await Promise.all(
    [n1, n2].map((n, i) => n.exec(`CREATE SUBSCRIPTION sub_n${i + 1} CONNECTION '${conn}' PUBLICATION pub_n${i + 1} WITH (copy_data = true, slot_name = 'slot_n${i + 1}')`, DB)),
  );
  for (const n of [n1, n2]) {
    await waitFor(`initial copy on ${n.name}`, async () => {
      const r = await n.query<{ ready: boolean }>(`SELECT count(*) = 3 AND bool_and(srsubstate = 'r') AS ready FROM pg_subscription_rel`, [], DB);
      return r[0].ready === true;
    });
  }
  dir = mkdtempSync(path.join(os.tmpdir(), 'verify-it-'));
  planFile = path.join(dir, 'plan.yaml');
  writeFileSync(planFile, PLAN);
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js was not built');
});

afterAll(async () => {
  await load?.stop();
  await Promise.all([n1, n2].filter(Boolean).map((n) => n.exec('DROP SUBSCRIPTION IF EXISTS sub_n1; DROP SUBSCRIPTION IF EXISTS sub_n2', DB).catch(() => undefined)));
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migrate verify', () => {
  it('reports no difference on a healthy migration while a write load runs on the source', async () => {
    load = startWriteLoad(source, { db: DB, script: LOAD, clients: 2, rate: 150 });
    await new Promise((r) => setTimeout(r, 1500));
    const text = await verify();
    const json = await verify('--json');
    const result = await load.stop();
    load = undefined;
    expect(result.transactions).toBeGreaterThan(200);

    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^n1: equal/m);
    expect(text.stdout).toMatch(/^n2: equal/m);
    expect(json.code, json.stdout + json.stderr).toBe(0);
    expect(json.json.equal).toBe(true);
    for (const node of ['n1', 'n2']) {
      for (const t of ['public.accounts', 'public.ledger', 'public.audit_log']) {
        const table = tableOf(json.json, node, t);
        // busy (changing on both sides at every look) is allowed under load; a difference is not.
        expect(['equal', 'busy'], `${node} ${t}: ${JSON.stringify(table)}`).toContain(table.status);
        expect(table.differences).toEqual([]);
      }
      // The keyed tables are compared in ranges; those are never busy at this load.
      expect(tableOf(json.json, node, 'public.accounts').status).toBe('equal');
      expect(tableOf(json.json, node, 'public.accounts').rows_source).toBeGreaterThanOrEqual(50000);
      expect(tableOf(json.json, node, 'public.ledger').key).toEqual(['account_id', 'seq']);
    }
  });

  it('finds rows changed by hand on n2 with its replication stopped, and names their key ranges', async () => {
    await caughtUp();
    await n2.exec('ALTER SUBSCRIPTION sub_n2 DISABLE', DB);
    await n2.exec(`UPDATE accounts SET balance = balance + 1000 WHERE id = 31337; DELETE FROM ledger WHERE account_id = 8 AND seq = 1007;`, DB);

    const text = await verify();
    expect(text.code, text.stdout + text.stderr).toBe(1);
    expect(text.stdout).toMatch(/^n1: equal/m);
    expect(text.stdout).toMatch(/^n2: DIFFERS/m);
    expect(text.stdout, text.stdout).toMatch(/public\.accounts .* differs\n +id \d+\.\.\d+ \(id 31337 differs\)/);
    // The table fits 100 columns; a cell cut to fit ends in … (the JSON below has it whole).
    expect(text.stdout).toMatch(/public\.ledger .* differs\n +\(account_id, seq\) \(\d+, \d+\)\.\.\(\d+, \d+\) \(\(account_id, seq\) \(8, 1007\) missing on node\)/);
    for (const line of text.stdout.split('\n').filter((l) => l.startsWith('  '))) expect(line.length, line).toBeLessThanOrEqual(100);

    const json = await verify('--json', '--node', 'n2');
    expect(json.code).toBe(1);
    expect(json.json.nodes.map((n: any) => n.node)).toEqual(['n2']);
    const accounts = tableOf(json.json, 'n2', 'public.accounts');
    expect(accounts.status).toBe('differs');
    expect(accounts.differences).toHaveLength(1);
    const [d] = accounts.differences;
    expect(Number(d.first[0])).toBeLessThanOrEqual(31337);
    expect(Number(d.last[0])).toBeGreaterThanOrEqual(31337);
    // Narrowed to a small range, not the table.
    expect(Number(d.last[0]) - Number(d.first[0])).toBeLessThan(200);
    expect(d.rows).toEqual([{ key: ['31337'], problem: 'differs' }]);
    expect(tableOf(json.json, 'n2', 'public.ledger').differences[0].rows).toEqual([{ key: ['8', '1007'], problem: 'missing on node' }]);
    expect(tableOf(json.json, 'n2', 'public.audit_log').status).toBe('equal');
  });

  it('compares a table without a primary key whole, says so, and still finds a difference in it', async () => {
    const before = await verify('--json', '--node', 'n1');
    expect(before.code).toBe(0);
    const audit = tableOf(before.json, 'n1', 'public.audit_log');
    expect(audit.compared).toBe('whole table');
    expect(audit.key).toBeNull();

    await n2.exec(`INSERT INTO audit_log (kind) VALUES ('by hand on n2')`, DB);
    const text = await verify();
    expect(text.code).toBe(1);
    expect(text.stdout, text.stdout).toMatch(/public\.audit_log .*whole .*differs \(no key: compared whole\)/);
    expect(text.stdout).toMatch(/public\.audit_log .*differs.*\n +whole table \(source \d+ rows, node \d+\)/);
    const json = await verify('--json', '--node', 'n2');
    const t = tableOf(json.json, 'n2', 'public.audit_log');
    expect(t.status).toBe('differs');
    expect(t.rows_node).toBe(t.rows_source + 1);
  });
});
