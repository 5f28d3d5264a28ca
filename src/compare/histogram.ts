// Latencies go into an HdrHistogram (hdr-histogram-js), in microseconds, to
// three significant digits: percentiles are read from it, never computed by hand.
import * as hdr from 'hdr-histogram-js';
import type { Latency } from './report.types.js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  // Up to an hour: a statement_timeout is far below that.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

/** What one histogram says, as the report's schema names it (src/compare/report.types.ts, generated). */
export type LatencySummary = Pick<Latency, 'count' | 'min_ms' | 'mean_ms' | 'p50_ms' | 'p90_ms' | 'p95_ms' | 'p99_ms' | 'p999_ms' | 'max_ms' | 'histogram'>;

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  const n = h.totalCount;
  // A percentile is the highest value equivalent to its bucket, which can
  // exceed the largest value recorded: never report p99 above the max.
  const at = (p: number) => (n ? ms(Math.min(h.getValueAtPercentile(p), h.maxValue)) : null);
  return {
    count: n,
    min_ms: n ? ms(h.minNonZeroValue) : null,
    mean_ms: n ? ms(h.mean) : null,
    p50_ms: at(50),
    p90_ms: at(90),
    p95_ms: at(95),
    p99_ms: at(99),
    p999_ms: at(99.9),
    max_ms: n ? ms(h.maxValue) : null,
    histogram: hdr.encodeIntoCompressedBase64(h),
  };
}
