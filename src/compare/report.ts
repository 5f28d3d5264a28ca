// compare's report: report.json (the raw percentiles and histograms),
// report.md with its chart.svg, and the GitHub job summary.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '../secrets.js';
import { renderTemplate } from '../render/templates.js';
import type { CompareReport } from './report.types.js';
import { latencySvg, mermaidCharts } from './chart.js';
import { conclusion, formatMs } from './format.js';

export type { CompareReport };

const num = (v: number | null) => (v === null ? '-' : String(v));

export function renderCompareMarkdown(r: CompareReport): string {
  const rows = r.queries.flatMap((q) =>
    q.results.map((res, i) => {
      const v = i === 0 ? undefined : q.verdicts[i - 1];
      return {
        query: i === 0 ? `\`${q.name}\`` : '',
        target: res.target,
        count: res.count,
        errors: res.errors,
        rows: num(res.rows_mean),
        p50: formatMs(res.p50_ms),
        p95: formatMs(res.p95_ms),
        p99: formatMs(res.p99_ms),
        max: formatMs(res.max_ms),
        ratio: v?.ratio_p95 == null ? '' : `${v.ratio_p95.toFixed(2)}x`,
        verdict: v ? (v.verdict === 'slower' || v.verdict === 'errors' ? `**${v.verdict}**` : v.verdict) : '',
      };
    }),
  );
  const s = r.settings;
  return renderTemplate('compare-report.md.hbs', {
    ...r,
    queryCount: r.queries.length,
    targetList: r.targets.join(', '),
    run: s.count ? `${s.count} executions of each query per target` : `${s.duration_seconds} s measured`,
    conclusion: conclusion(r),
    rows,
    differences: r.queries.flatMap((q) => q.plan_differences.map((d) => ({ query: q.name, message: d.message }))),
    errors: r.queries.flatMap((q) => q.results.filter((x) => x.first_error).map((x) => ({ query: q.name, target: x.target, count: x.errors, message: x.first_error }))),
    charts: mermaidCharts(r),
    queries: r.queries.map((q) => ({ name: q.name, sql: q.sql, calls_in_stats: q.calls_in_stats ?? null })),
  });
}

export function writeCompareReport(dir: string, report: CompareReport, redactor: Redactor): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const safe = redactor.redactValue(report);
  const paths = { json: join(dir, 'report.json'), md: join(dir, 'report.md'), svg: join(dir, 'chart.svg') };
  writeFileSync(paths.json, JSON.stringify(safe, null, 2) + '\n');
  writeFileSync(paths.svg, latencySvg(safe));
  const markdown = renderCompareMarkdown(safe);
  writeFileSync(paths.md, markdown);
  if (process.env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown + '\n');
    } catch {
      // A summary that cannot be written must not fail the comparison.
    }
  }
  return paths;
}
