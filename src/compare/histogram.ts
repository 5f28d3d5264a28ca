// Latencies go into an HdrHistogram (hdr-histogram-js), in microseconds, to
// three significant digits: percentiles are read from it, never computed by hand.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  // Up to an hour: a statement_timeout is far below that.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export interface LatencySummary {
  count: number;
  min_ms: number | null;
  mean_ms: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  max_ms: number | null;
  /** The histogram itself, in HdrHistogram's compressed base64 form. */
  histogram: string;
}

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
