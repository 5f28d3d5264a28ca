// What running tasks learn and later tasks (and reruns) need. Stored in the
// journal and the run report; nothing secret ever goes in here.

export interface AnchorFacts {
  slot: string;
  consistent_point: string;
  snapshot: string;
}

export interface Facts {
  anchor?: AnchorFacts;
  /** Source database name, from current_database(). */
  source_database?: string;
  /** Replication origin per node, 'pg_' || subscription oid. */
  origins?: Record<string, string>;
  /** Source position that catch-up waited for. */
  caught_up_lsn?: string;
  /** Source position at the write freeze. */
  frozen_lsn?: string;
  /** The database setting the freeze replaced, restored by unfreeze. */
  read_only_before?: string | null;
  [key: string]: unknown;
}
