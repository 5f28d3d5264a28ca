// Faster, same or slower, per query and node, on p95. A ratio alone would
// call 0.08 ms against 0.11 ms a regression: the difference must also exceed
// min_difference_ms.
import type { CompareReport } from './report.types.js';
import type { LatencySummary } from './histogram.js';

export type Verdict = CompareReport['queries'][number]['verdicts'][number];

export interface Thresholds {
  max_slowdown: number;
  min_difference_ms: number;
}

export function verdictOf(node: string, source: LatencySummary & { errors: number }, target: LatencySummary & { errors: number }, t: Thresholds): Verdict {
  if (target.errors > 0 || source.errors > 0 || source.p95_ms === null || target.p95_ms === null) {
    return { node, ratio_p95: ratioOf(source.p95_ms, target.p95_ms), verdict: 'errors' };
  }
  const ratio = ratioOf(source.p95_ms, target.p95_ms);
  const diff = target.p95_ms - source.p95_ms;
  let verdict: Verdict['verdict'] = 'same';
  if (Math.abs(diff) > t.min_difference_ms) {
    if (target.p95_ms > t.max_slowdown * source.p95_ms) verdict = 'slower';
    else if (source.p95_ms > t.max_slowdown * target.p95_ms) verdict = 'faster';
  }
  return { node, ratio_p95: ratio, verdict };
}

function ratioOf(source: number | null, target: number | null): number | null {
  if (source === null || target === null || source <= 0) return null;
  return Math.round((target / source) * 100) / 100;
}
