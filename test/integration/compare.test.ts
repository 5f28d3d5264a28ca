// `migrate compare` against real clusters: a source and two nodes holding the
// same table; then n2 loses an index. Short runs (about 2 s) at concurrency 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startClusters, type Cluster } from '../harness/index.js';
import { seededRng, valueSource } from '../../src/compare/generators.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const DB = 'app';

const SETUP = `
CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL);
CREATE INDEX accounts_owner ON accounts (owner);
CREATE SEQUENCE invoice_no;
INSERT INTO accounts SELECT g, 'owner ' || (g % 2500), g % 1000 FROM generate_series(1, 100000) g;
ANALYZE;
`;

const QUERIES = `# yaml-language-server: $schema=../schemas/compare-queries.schema.json
queries:
  - name: account_by_id
    sql: SELECT id, owner, balance FROM accounts WHERE id = :id
    params:
      id: { random: [1, 100000] }
  - name: accounts_of_owner
    sql: SELECT id, balance FROM accounts WHERE owner = :owner ORDER BY id
    params:
      owner: { sample: { table: accounts, column: owner } }
`;

const plan = (extra = '') => `version: 1
name: compare-it
source:
  dsn: \${CMP_SOURCE_DSN}
nodes:
  - name: n1
    dsn: \${CMP_N1_DSN}
  - name: n2
    dsn: \${CMP_N2_DSN}
replication:
  - node: n1
    publication: pub_n1
    slot: slot_n1
    subscription: sub_n1
  - node: n2
    publication: pub_n2
    slot: slot_n2
    subscription: sub_n2
compare:
  queries: queries.yaml
  duration_seconds: 2
  warmup_seconds: 0.5
  # The suite shares two cores with PostgreSQL: p95 of sub-millisecond queries
  # swings by milliseconds. A lost index costs far more than this.
  min_difference_ms: 5
${extra}`;

let source: Cluster;
let n1: Cluster;
let n2: Cluster;
let dir: string;

async function compare(planText: string, args: string[] = [], extraEnv: Record<string, string> = {}) {
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, planText);
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await execa('node', [CLI, 'compare', file, '--output', out, ...args], {
    reject: false,
    env: { CMP_SOURCE_DSN: source.dsn(DB), CMP_N1_DSN: n1.dsn(DB), CMP_N2_DSN: n2.dsn(DB), CI: '1', ...extraEnv },
  });
  const all = `${r.stdout}\n${r.stderr}`;
  for (const c of [source, n1, n2]) expect(all).not.toContain(c.password);
  const reportFile = path.join(out, 'report.json');
  return {
    code: r.exitCode,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    out,
    report: existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : undefined,
  };
}

let reportValidator: ((d: unknown) => boolean) & { errors?: unknown };
async function reportProblems(report: unknown): Promise<unknown> {
  if (!reportValidator) {
    const { Ajv } = await import('ajv');
    reportValidator = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas/compare-report.schema.json'), 'utf8')));
  }
  return reportValidator(report) ? null : reportValidator.errors;
}

const resultOf = (report: any, query: string, target: string) => report.queries.find((q: any) => q.name === query).results.find((r: any) => r.target === target);
const verdictOf = (report: any, query: string, node: string) => report.queries.find((q: any) => q.name === query).verdicts.find((v: any) => v.node === node);

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['cmp-src', 'cmp-n1', 'cmp-n2'], {
    shared_preload_libraries: 'pg_stat_statements',
    // One core per scan: a parallel seq scan on n2 would take both cores of the machine from the other targets.
    max_parallel_workers_per_gather: 0,
  });
  await Promise.all([source, n1, n2].map(async (c) => {
    await c.createDatabase(DB);
    await c.exec(SETUP, DB);
  }));
  dir = mkdtempSync(path.join(os.tmpdir(), 'compare-it-'));
  writeFileSync(path.join(dir, 'queries.yaml'), QUERIES);
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js was not built');
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migrate compare', () => {
  it('with equal schemas every query is as fast on every node: exit 0, a table, report.json, report.md and its chart', async () => {
    const summary = path.join(dir, 'summary.md');
    const r = await compare(plan(), [], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(summary, 'utf8')).toMatch(/^# migrate compare: compare-it — as fast or faster on every node/);
    expect(r.stdout).toMatch(/^query\s+target\s+count\s+errors\s+rows\s+p50 ms\s+p95 ms\s+p99 ms\s+max ms\s+p95 vs source\s+verdict$/m);
    expect(r.stdout).toMatch(/^account_by_id\s+source\s+\d+/m);
    expect(r.stdout).toContain('Every query runs as fast or faster on every node');
    expect(await reportProblems(r.report)).toBeNull();
    expect(r.report.passed).toBe(true);
    expect(r.report.targets).toEqual(['source', 'n1', 'n2']);
    for (const q of ['account_by_id', 'accounts_of_owner']) {
      for (const t of ['source', 'n1', 'n2']) {
        const res = resultOf(r.report, q, t);
        expect(res.count, `${q} ${t}`).toBeGreaterThan(50);
        expect(res.errors).toBe(0);
        expect(res.p50_ms).toBeLessThanOrEqual(res.p95_ms);
        expect(res.p95_ms).toBeLessThanOrEqual(res.p99_ms);
        expect(res.p99_ms).toBeLessThanOrEqual(res.max_ms);
      }
      expect(r.report.queries.find((x: any) => x.name === q).plan_differences).toEqual([]);
    }
    expect(resultOf(r.report, 'account_by_id', 'n1').rows_mean).toBe(1);
    expect(resultOf(r.report, 'accounts_of_owner', 'source').rows_mean).toBe(40);
    const md = readFileSync(path.join(r.out, 'report.md'), 'utf8');
    expect(md).toContain('![p95 latency per query and target](chart.svg)');
    expect(md).toContain('```mermaid\nxychart-beta');
    expect(readFileSync(path.join(r.out, 'chart.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('percentiles in report.json match a known distribution of pg_sleep durations', async () => {
    writeFileSync(path.join(dir, 'sleep.yaml'), 'queries:\n  - name: sleep\n    sql: SELECT pg_sleep(:ms / 1000.0)\n    params:\n      ms: { random: [5, 60] }\n');
    const r = await compare(plan(), ['--queries', path.join(dir, 'sleep.yaml'), '--count', '60', '--concurrency', '4', '--warmup', '0', '--node', 'n1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The very durations every target slept, in the generator's order: compare
    // draws the same seeded sequence (execution j of a query gets its j-th values).
    const draw = valueSource({ random: [5, 60] });
    const rng = seededRng(7919);
    const sleeps = Array.from({ length: 60 }, () => Number(draw(rng))).sort((a, b) => a - b);
    const at = (p: number) => sleeps[Math.ceil((p / 100) * sleeps.length) - 1];
    for (const t of ['source', 'n1']) {
      const res = resultOf(r.report, 'sleep', t);
      expect(res.count).toBe(60);
      // Latency is the sleep plus the round trip: never below the sleep
      // (HdrHistogram keeps 3 significant digits), and above it by the round
      // trip, which on a loaded 2-core machine reaches tens of milliseconds in
      // the tail (with 60 samples p99 is one execution).
      for (const [key, p, slack] of [['p50_ms', 50, 40], ['p90_ms', 90, 40], ['p95_ms', 95, 150], ['p99_ms', 99, 150], ['max_ms', 100, 150]] as const) {
        expect(res[key], `${t} ${key}`).toBeGreaterThanOrEqual(at(p) * 0.999);
        expect(res[key], `${t} ${key}`).toBeLessThan(at(p) + slack);
      }
      expect(res.p50_ms).toBeLessThan(res.p90_ms);
      expect(res.min_ms).toBeGreaterThanOrEqual(sleeps[0] * 0.999);
    }
  });

  it('at a fixed rate, latency runs from the schedule: a target that cannot keep up shows the wait (no coordinated omission)', async () => {
    writeFileSync(path.join(dir, 'slow.yaml'), 'queries:\n  - name: slow\n    sql: SELECT pg_sleep(0.1)\n');
    const r = await compare(plan(), ['--queries', path.join(dir, 'slow.yaml'), '--rate', '20', '--concurrency', '1', '--duration', '1', '--warmup', '0', '--node', 'n1']);
    const res = resultOf(r.report, 'slow', 'source');
    expect(r.report.settings.timing).toMatch(/coordinated-omission-safe/);
    // 20 per second scheduled, 10 per second served by one session: the k-th
    // query waits about 50 ms x k more than the last; a closed loop would say 100 ms.
    expect(res.count).toBeGreaterThanOrEqual(18);
    expect(res.p50_ms).toBeGreaterThan(250);
    expect(res.max_ms).toBeGreaterThan(450);
  });

  it('--from-stats takes the read statements pg_stat_statements saw most, fills their parameters from samples, and says it is approximate', async () => {
    await source.exec('CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset();', DB);
    for (let i = 1; i <= 30; i++) await source.query('SELECT balance FROM accounts WHERE id = $1', [i * 17], DB);
    for (let i = 1; i <= 5; i++) await source.query(`SELECT count(*) FROM accounts a WHERE a.owner = $1`, [`owner ${i}`], DB);
    for (let i = 1; i <= 5; i++) await source.query(`SELECT id FROM accounts WHERE owner = 'owner 7' ORDER BY id LIMIT 5`, [], DB);
    // id + 1: a parameter that is compared with no column.
    for (let i = 1; i <= 5; i++) await source.query(`SELECT id + 1 FROM accounts WHERE id = 5`, [], DB);
    const r = await compare(plan(), ['--from-stats', '10', '--duration', '1']);
    expect(r.report, r.stdout + r.stderr).toBeDefined();
    expect(r.stdout).toContain('APPROXIMATE');
    expect(r.stderr).toMatch(/approximation/);
    expect(r.report.approximate).toBe(true);
    const sqls = r.report.queries.map((q: any) => q.sql);
    expect(sqls).toEqual(expect.arrayContaining(['SELECT balance FROM accounts WHERE id = $1', 'SELECT count(*) FROM accounts a WHERE a.owner = $1', 'SELECT id FROM accounts WHERE owner = $1 ORDER BY id LIMIT $2']));
    expect(sqls).toHaveLength(3);
    expect(r.stderr).toContain('--from-stats: skipped a statement whose parameters could not all be matched to a column: SELECT id + $1 FROM accounts WHERE id = $2');
    for (const q of r.report.queries) for (const t of ['source', 'n1', 'n2']) expect(resultOf(r.report, q.name, t).errors).toBe(0);
    // LIMIT $2 ran as LIMIT 100, not the 5 it was: an owner's 40 rows came back.
    const limited = r.report.queries.find((q: any) => q.sql.endsWith('LIMIT $2'));
    expect(resultOf(r.report, limited.name, 'source').rows_mean).toBe(40);
  });

  it('refuses a statement that writes before opening any session (exit 2), and the read-only session stops a function that writes', async () => {
    writeFileSync(path.join(dir, 'writes.yaml'), 'queries:\n  - name: purge\n    sql: WITH d AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM d\n');
    const refused = await compare(plan(), ['--queries', path.join(dir, 'writes.yaml')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/writes\.yaml:3:10: queries\[0\] \(purge\): the statement holds a DELETE statement \(a data-modifying WITH\); compare only reads/);
    expect(refused.report).toBeUndefined();

    writeFileSync(path.join(dir, 'nextval.yaml'), 'queries:\n  - name: next_invoice\n    sql: SELECT nextval(\'invoice_no\')\n');
    const r = await compare(plan(), ['--queries', path.join(dir, 'nextval.yaml'), '--duration', '0.5', '--warmup', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error next_invoice on source \(\d+x\): cannot execute nextval\(\) in a read-only transaction/);
    expect(verdictOf(r.report, 'next_invoice', 'n1').verdict).toBe('errors');
    for (const c of [source, n1, n2]) {
      expect((await c.query('SELECT count(*)::int AS n FROM accounts', [], DB))[0].n).toBe(100000);
      expect((await c.query('SELECT last_value::int AS v, is_called FROM invoice_no', [], DB))[0]).toEqual({ v: 1, is_called: false });
    }
  });

  it('a node that lost an index: the query using it is slower there, with the plan difference, and compare exits 1', async () => {
    await n2.exec('DROP INDEX accounts_owner', DB);
    // One session per target: n2's scans then keep one core busy, not both.
    const r = await compare(plan(), ['--concurrency', '1']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(verdictOf(r.report, 'accounts_of_owner', 'n2').verdict).toBe('slower');
    expect(verdictOf(r.report, 'accounts_of_owner', 'n2').ratio_p95).toBeGreaterThan(3);
    expect(verdictOf(r.report, 'accounts_of_owner', 'n1').verdict).not.toBe('slower');
    expect(r.report.passed).toBe(false);
    const diffs = r.report.queries.find((q: any) => q.name === 'accounts_of_owner').plan_differences;
    expect(diffs).toContainEqual(expect.objectContaining({ node: 'n2', kind: 'seq_scan' }));
    expect(r.stdout).toMatch(/plan accounts_of_owner: Seq Scan on public\.accounts on n2, where the source uses (Bitmap Heap Scan|Index Scan) \(accounts_owner\): is an index missing on n2\?/);
    expect(r.stdout).toMatch(/^\s+n2\s+\d+\s+0\s+40\s+.*x\s+SLOWER$/m);
    expect(r.stdout).toMatch(/Not as fast on every node: .*accounts_of_owner on n2 \(slower\)/);
  });
});
