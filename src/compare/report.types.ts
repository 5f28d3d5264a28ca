/* Generated from schemas/compare-report.schema.json by `npm run gen:types`. Do not edit. */

/**
 * report.json of `migrate compare`: latency per query and target, from HdrHistogram (hdr-histogram-js), the verdicts and the plan differences.
 */
export interface CompareReport {
  plan: string;
  started_at: string;
  finished_at: string;
  /**
   * The queries file, or pg_stat_statements.
   */
  queries_from: string;
  /**
   * True when the queries and their parameters were guessed from pg_stat_statements.
   */
  approximate: boolean;
  settings: {
    duration_seconds: number;
    count: number | null;
    warmup_seconds: number;
    concurrency: number;
    rate: number | null;
    max_slowdown: number;
    min_difference_ms: number;
    /**
     * How latency was measured: closed loop (service time), or fixed rate from each query's scheduled start.
     */
    timing: string;
  };
  /**
   * source first, then the nodes.
   */
  targets: string[];
  /**
   * No query slower or failing on any node.
   */
  passed: boolean;
  queries: QueryResult[];
}
export interface QueryResult {
  name: string;
  sql: string;
  /**
   * With --from-stats: calls pg_stat_statements counted.
   */
  calls_in_stats?: number;
  results: Latency[];
  verdicts: Verdict[];
  plans: PlanShape[];
  plan_differences: PlanDifference[];
}
export interface Latency {
  target: string;
  /**
   * Measured executions that succeeded.
   */
  count: number;
  errors: number;
  first_error: string | null;
  rows_mean: number | null;
  min_ms: number | null;
  mean_ms: number | null;
  p50_ms: number | null;
  p90_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  max_ms: number | null;
  /**
   * The HdrHistogram in microseconds, compressed and base64-encoded (HdrHistogram's own format: decode with any HdrHistogram library).
   */
  histogram: string;
}
export interface Verdict {
  node: string;
  /**
   * The node's p95 over the source's.
   */
  ratio_p95: number | null;
  verdict: 'faster' | 'same' | 'slower' | 'errors';
}
export interface PlanShape {
  target: string;
  top_node: string | null;
  scans: {
    node_type: string;
    schema: string | null;
    relation: string;
    index: string | null;
  }[];
  error: string | null;
}
export interface PlanDifference {
  node: string;
  kind: 'top_node' | 'seq_scan';
  message: string;
}
