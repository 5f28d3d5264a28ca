// The pure parts of compare: plan shapes and their differences, verdicts,
// what --from-stats reads from a statement, the queries file's problems, and the report's rendering.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planDifferences, shapeOf } from '../../src/compare/plan-shape.js';
import { verdictOf } from '../../src/compare/verdict.js';
import { statementParams } from '../../src/compare/stats-params.js';
import { loadSqlParser } from '../../src/compare/read-only.js';
import { loadQueriesFile } from '../../src/compare/queries-file.js';
import { seededRng, valueSource } from '../../src/compare/generators.js';
import { formatCompare } from '../../src/compare/format.js';
import { latencySvg, mermaidCharts } from '../../src/compare/chart.js';
import { PlanInvalidError } from '../../src/errors.js';
import * as hdr from 'hdr-histogram-js';
import { newHistogram, summarize } from '../../src/compare/histogram.js';
import type { CompareReport } from '../../src/compare/report.types.js';

beforeAll(() => loadSqlParser());

const indexScan = [{ Plan: { 'Node Type': 'Sort', Plans: [{ 'Node Type': 'Bitmap Heap Scan', 'Relation Name': 'accounts', Schema: 'public', Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'accounts_owner' }] }] } }];
const seqScan = [{ Plan: { 'Node Type': 'Sort', Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'accounts', Schema: 'public' }] } }];

describe('plan shapes', () => {
  it('reads the top node and every scan, a bitmap heap scan with the index below it', () => {
    expect(shapeOf('source', indexScan)).toEqual({ target: 'source', top_node: 'Sort', error: null, scans: [{ node_type: 'Bitmap Heap Scan', schema: 'public', relation: 'accounts', index: 'accounts_owner' }] });
  });

  it('flags a seq scan on a node where the source uses an index, and a different top node', () => {
    expect(planDifferences(shapeOf('source', indexScan), shapeOf('n2', seqScan), 'n2')).toEqual([
      { node: 'n2', kind: 'seq_scan', message: 'Seq Scan on public.accounts on n2, where the source uses Bitmap Heap Scan (accounts_owner): is an index missing on n2?' },
    ]);
    const hashed = [{ Plan: { 'Node Type': 'Hash Join' } }];
    expect(planDifferences(shapeOf('source', indexScan), shapeOf('n1', hashed), 'n1')).toEqual([{ node: 'n1', kind: 'top_node', message: 'top plan node is Hash Join on n1, Sort on the source' }]);
    expect(planDifferences(shapeOf('source', indexScan), shapeOf('n1', indexScan), 'n1')).toEqual([]);
  });
});

describe('verdicts on p95', () => {
  const lat = (p95: number | null, errors = 0) => ({ count: 100, min_ms: 0, mean_ms: 0, p50_ms: 0, p90_ms: 0, p95_ms: p95, p99_ms: 0, p999_ms: 0, max_ms: 0, histogram: '', errors });
  const t = { max_slowdown: 1.2, min_difference_ms: 1 };
  it.each([
    [10, 13, 'slower', 1.3],
    [10, 11.9, 'same', 1.19],
    [10, 7, 'faster', 0.7],
    [0.1, 0.9, 'same', 9],
    [0.1, 1.2, 'slower', 12],
  ] as const)('source %s ms, node %s ms: %s', (s, n, verdict, ratio) => {
    expect(verdictOf('n1', lat(s), lat(n), t)).toEqual({ node: 'n1', ratio_p95: ratio, verdict });
  });
  it('errors on either side fail the query', () => {
    expect(verdictOf('n1', lat(10), lat(10, 3), t).verdict).toBe('errors');
    expect(verdictOf('n1', lat(null, 5), lat(10), t)).toEqual({ node: 'n1', ratio_p95: null, verdict: 'errors' });
  });
});

describe('--from-stats: what each $n stands for', () => {
  it('finds the column compared with each parameter, through aliases, IN, BETWEEN, casts, and LIMIT', () => {
    const p = statementParams('SELECT a.x FROM public.accounts a JOIN t2 ON t2.id = a.id WHERE a.id = $1 AND owner IN ($2, $3) AND $4::int < z LIMIT $5');
    expect(p.relations).toEqual([{ schema: 'public', table: 'accounts', alias: 'a' }, { schema: null, table: 't2', alias: 't2' }]);
    expect(p.count).toBe(5);
    expect(Object.fromEntries(p.params)).toEqual({
      1: { column: 'id', qualifier: 'a' },
      2: { column: 'owner', qualifier: null },
      3: { column: 'owner', qualifier: null },
      4: { column: 'z', qualifier: null },
      5: { limit: true },
    });
  });

  it('does not take a parameter of arithmetic for a column value', () => {
    expect(Object.fromEntries(statementParams('SELECT id + $1 FROM accounts WHERE id = $2 AND owner LIKE $3').params)).toEqual({
      2: { column: 'id', qualifier: null },
      3: { column: 'owner', qualifier: null },
    });
  });
});

describe('the queries file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgm-queries-'));
  const load = (text: string) => {
    const f = join(dir, 'q.yaml');
    writeFileSync(f, text);
    return () => loadQueriesFile(f, 'q.yaml');
  };
  const problems = (text: string) => {
    try {
      load(text)();
    } catch (e) {
      if (e instanceof PlanInvalidError) return e.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
      throw e;
    }
    return [];
  };

  it('numbers parameters and keeps their generators in order', () => {
    const [q] = load('queries:\n  - name: q1\n    sql: SELECT * FROM t WHERE b = :b AND a = :a AND c = :b\n    params:\n      a: { random: [1, 10] }\n      b: { choice: [x, y] }\n')();
    expect(q.text).toBe('SELECT * FROM t WHERE b = $1 AND a = $2 AND c = $1');
    expect(q.params).toEqual([{ choice: ['x', 'y'] }, { random: [1, 10] }]);
  });

  it('names every problem at its line: a write, a missing generator, a bad generator, a duplicate name', () => {
    expect(
      problems(
        'queries:\n  - name: q1\n    sql: UPDATE t SET a = 1\n  - name: q1\n    sql: SELECT :x\n',
      ),
    ).toEqual([
      '3:10: queries[0] (q1): the statement is a UPDATE statement, not a read (SELECT, VALUES, TABLE or WITH ... SELECT)',
      '4:11: queries[1].name: "q1" is used by an earlier query',
      '5:10: queries[1] (q1): :x has no generator in params',
    ]);
    expect(problems('queries:\n  - name: q3\n    sql: SELECT :y\n    params:\n      y: { random: 5 }\n')).toEqual([
      '5:10: queries[0].params.y: a generator is one of random: [low, high], choice: [values...], sample: { schema, table, column }, or value: X',
    ]);
  });

  it('random draws whole numbers within its bounds, the same sequence for the same seed', () => {
    const g = valueSource({ random: [5, 8] });
    const a = seededRng(1);
    const b = seededRng(1);
    const xs = Array.from({ length: 200 }, () => g(a));
    expect(xs).toEqual(Array.from({ length: 200 }, () => g(b)));
    expect(new Set(xs)).toEqual(new Set([5, 6, 7, 8]));
  });
});

describe('the report', () => {
  const res = (target: string, p95: number) => ({ target, count: 100, errors: 0, first_error: null, rows_mean: 1, min_ms: 0.1, mean_ms: p95 / 2, p50_ms: p95 / 2, p90_ms: p95, p95_ms: p95, p99_ms: p95 * 1.5, p999_ms: p95 * 2, max_ms: p95 * 3, histogram: '' });
  const report: CompareReport = {
    plan: 'p',
    started_at: 't0',
    finished_at: 't1',
    queries_from: 'queries.yaml',
    approximate: false,
    settings: { duration_seconds: 2, count: null, warmup_seconds: 1, concurrency: 2, rate: null, max_slowdown: 1.2, min_difference_ms: 1, timing: 'closed loop' },
    targets: ['source', 'n1'],
    passed: false,
    queries: [
      {
        name: 'by_owner',
        sql: 'SELECT 1',
        results: [res('source', 0.5), res('n1', 20)],
        verdicts: [{ node: 'n1', ratio_p95: 40, verdict: 'slower' }],
        plans: [],
        plan_differences: [{ node: 'n1', kind: 'seq_scan', message: 'Seq Scan on public.accounts on n1' }],
      },
    ],
  };
  it('the terminal table says SLOWER, the plan difference and the conclusion', () => {
    const text = formatCompare(report);
    expect(text).toMatch(/^by_owner\s+source\s+100\s+0\s+1\s+0\.25\s+0\.50\s+0\.75\s+1\.50$/m);
    expect(text).toMatch(/^\s+n1\s+100\s+0\s+1\s+10\.0\s+20\.0\s+30\.0\s+60\.0\s+40\.00x\s+SLOWER$/m);
    expect(text).toContain('plan by_owner: Seq Scan on public.accounts on n1');
    expect(text).toContain("Not as fast on every node: by_owner on n1 (slower). Slower means p95 above 1.2 x the source's and at least 1 ms more.");
  });
  it('the SVG and the Mermaid chart hold every target', () => {
    const svg = latencySvg(report);
    expect(svg).toContain('>source</text>');
    expect(svg).toContain('>20.0 ms (slower)</text>');
    expect(mermaidCharts(report)).toEqual(['xychart-beta\n    title "by_owner: p95 (bars) and p50 (line), ms"\n    x-axis ["source", "n1"]\n    y-axis "ms" 0 --> 23\n    bar [0.5, 20]\n    line [0.25, 10]']);
  });
});

describe('the histogram', () => {
  it('gives percentiles in ms, never above the max, and an encoding that decodes to the same counts', () => {
    const h = newHistogram();
    for (let us = 1000; us <= 100_000; us += 1000) h.recordValue(us);
    const s = summarize(h);
    expect(s.count).toBe(100);
    expect(s.p50_ms).toBeCloseTo(50, 0);
    expect(s.p99_ms).toBeCloseTo(99, 0);
    expect(s.max_ms).toBeCloseTo(100, 0);
    expect(s.p999_ms).toBeLessThanOrEqual(s.max_ms!);
    const back = hdr.decodeFromCompressedBase64(s.histogram);
    expect(back.totalCount).toBe(100);
    expect(back.getValueAtPercentile(50)).toBe(h.getValueAtPercentile(50));
  });
});
