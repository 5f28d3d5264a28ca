// compare's terminal table: per query, the source then each node, with the
// node's p95 as a multiple of the source's and the verdict.
import type { CompareReport } from './report.types.js';

type QueryResult = CompareReport['queries'][number];

export const formatMs = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

export function formatCompare(r: CompareReport): string {
  const s = r.settings;
  const run = s.count ? `${s.count} executions of each query per target` : `${s.duration_seconds} s measured`;
  let out = `Plan ${r.plan}: ${r.queries.length} quer${r.queries.length === 1 ? 'y' : 'ies'} from ${r.queries_from} on ${r.targets.join(', ')} at the same time\n`;
  out += `${s.concurrency} session${s.concurrency === 1 ? '' : 's'} per target, ${s.warmup_seconds} s warm-up, ${run}; ${s.timing}\n`;
  if (r.approximate) out += 'APPROXIMATE: queries and parameter values were guessed from pg_stat_statements; use a queries file for a decision.\n';
  out += '\n' + table(r.queries) + '\n';
  for (const q of r.queries) {
    for (const d of q.plan_differences) out += `plan ${q.name}: ${d.message}\n`;
    for (const p of q.plans) if (p.error) out += `plan ${q.name}: EXPLAIN failed on ${p.target}: ${p.error}\n`;
    for (const res of q.results) if (res.first_error) out += `error ${q.name} on ${res.target} (${res.errors}x): ${res.first_error}\n`;
  }
  return out + '\n' + conclusion(r) + '\n';
}

function table(queries: QueryResult[]): string {
  const header = ['query', 'target', 'count', 'errors', 'rows', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p95 vs source', 'verdict'];
  const rows: string[][] = [];
  for (const q of queries) {
    q.results.forEach((res, i) => {
      const v = i === 0 ? undefined : q.verdicts[i - 1];
      rows.push([
        i === 0 ? q.name : '',
        res.target,
        String(res.count),
        String(res.errors),
        res.rows_mean === null ? '-' : String(res.rows_mean),
        formatMs(res.p50_ms),
        formatMs(res.p95_ms),
        formatMs(res.p99_ms),
        formatMs(res.max_ms),
        v ? (v.ratio_p95 === null ? '-' : `${v.ratio_p95.toFixed(2)}x`) : '',
        v ? (v.verdict === 'slower' || v.verdict === 'errors' ? v.verdict.toUpperCase() : v.verdict) : '',
      ]);
    });
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

export function conclusion(r: CompareReport): string {
  const bad = r.queries.flatMap((q) => q.verdicts.filter((v) => v.verdict === 'slower' || v.verdict === 'errors').map((v) => `${q.name} on ${v.node} (${v.verdict})`));
  const limit = `p95 above ${r.settings.max_slowdown} x the source's and at least ${r.settings.min_difference_ms} ms more`;
  if (bad.length) return `Not as fast on every node: ${bad.join(', ')}. Slower means ${limit}.`;
  return `Every query runs as fast or faster on every node (no ${limit}).`;
}
