// What verify found, per node and table: the shape of `migrate verify --json`.
import type { KeyValue } from './table-shape.js';
import type { LargeObjectComparison } from '../pg/large-objects.js';

export type TableStatus = 'equal' | 'busy' | 'differs' | 'missing' | 'error';

export interface RowDifference {
  key: KeyValue;
  problem: 'missing on node' | 'only on node' | 'differs';
}

/** A key range whose rows still differed after the re-checks. */
export interface RangeDifference {
  /** First and last key present in the range on either side (null: the table has no key, or the range is empty on both). */
  first: KeyValue | null;
  last: KeyValue | null;
  /** The range as compared: lower <= key < upper, null where open. */
  lower: KeyValue | null;
  upper: KeyValue | null;
  rows_source: number;
  rows_node: number;
  /** The rows that differ, by key (only for a narrowed key range). */
  rows: RowDifference[];
}

export interface TableResult {
  table: string;
  /** key ranges: compared range by range along `key`; whole table: no usable key. */
  compared: 'key ranges' | 'whole table';
  key: string[] | null;
  /** primary key, replica identity index <name> or unique index <name>. */
  key_via: string | null;
  /** Key ranges of the first pass. */
  ranges: number;
  rows_source: number | null;
  rows_node: number | null;
  status: TableStatus;
  /** Ranges that differed once and were equal on a re-check: changes that were still on their way. */
  settled: number;
  differences: RangeDifference[];
  /**
   * Ranges that differed at every re-check while both sides kept changing:
   * writes in flight all along, so neither equal nor shown to differ. Not a
   * failure; a quieter moment (or the cutover's full check) settles them.
   */
  busy: RangeDifference[];
  /** More ranges differed than were narrowed and reported. */
  differences_truncated: boolean;
  error?: string;
}

export interface NodeResult {
  node: string;
  publication: string;
  /** No difference persisted and every table was compared (busy ranges allowed). */
  equal: boolean;
  error?: string;
  tables: TableResult[];
  /** Large objects compared by oid (absent when the dump does not carry them). */
  large_objects?: LargeObjectComparison;
}

export interface VerifyResult {
  /** Every node equal: the exit code is 0 exactly when this holds. */
  equal: boolean;
  nodes: NodeResult[];
  started_at: string;
  duration_ms: number;
  /** Source rows compared, summed over nodes. */
  rows_compared: number;
  rows_per_second: number;
}

export function tableStatus(t: Pick<TableResult, 'error' | 'status' | 'differences' | 'differences_truncated' | 'busy'>): TableStatus {
  if (t.status === 'missing' || t.status === 'error') return t.status;
  if (t.error) return 'error';
  if (t.differences.length || t.differences_truncated) return 'differs';
  return t.busy.length ? 'busy' : 'equal';
}
