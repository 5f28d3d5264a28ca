// What running tasks learn and later tasks (and reruns) need. Stored in the
// journal and the run report; nothing secret ever goes in here.
import type { SequenceAction } from './pg/sequences.js';

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
  /** Present while writes are frozen on the source (what unfreeze needs to undo it). */
  freeze?: { database: string; read_only_before: string | null; frozen_at: string; hook: boolean; closed?: boolean };
  /**
   * The first freeze of this cutover that was not called off: a cutover killed
   * while frozen and started over keeps it (writes were held all along), one
   * called off (the source writable again) or aborted forgets it.
   */
  downtime_since?: string;
  /** How many times writes were frozen since downtime_since. */
  freeze_attempts?: number;
  /** Each subscription's synchronous_commit before the cutover made apply synchronous. */
  apply_sync_before?: Record<string, string>;
  /**
   * Per node: the source database's settings carried to it (pg_db_role_setting), and its database's name;
   * what abort --drop-data gives back: `before`, the node database's own settings as the first attempt found
   * them, and `set`, every setting any attempt set there.
   */
  database_settings?: Record<string, { database: string; settings: { role: string | null; name: string; value: string }[]; before?: { role: string | null; name: string; value: string }[]; set?: { role: string | null; name: string }[] }>;
  /** Per node, what the cutover did to each sequence. */
  sequences?: Record<string, SequenceAction[]>;
  /** When the application was switched to the nodes: the cutover's point of no return. */
  switched_at?: string;
  /** The reverse stream of cutover.fallback, from its slot's creation on (dropped_at: gone, by rollback or finalize). */
  fallback?: { node: string; slot: string; publication: string; subscription: string; consistent_point: string; created_at: string; enabled_at?: string; dropped_at?: string };
  /** The tables the fallback publication publishes: the forward publication's, read on the source. */
  fallback_tables?: { schema: string; name: string }[];
  /**
   * Present while rollback holds writes frozen on the nodes: each node's
   * default_transaction_read_only before it, each node's database, and
   * whether the nodes' databases were (or were about to be) closed to new connections.
   */
  rollback_freeze?: { frozen_at: string; read_only_before: Record<string, string | null>; databases?: Record<string, string>; closed?: boolean };
  /** The fallback node's position after the nodes' freeze, which the source must apply. */
  rollback_lsn?: string;
  /** rollback.switch_hook ran: writes go back to the source (rollback's point of no return). */
  rolled_back_at?: string;
  /** The source was made writable again by rollback. */
  source_unfrozen_at?: string;
  /** migrate finalize dropped the reverse stream: no way back any more. */
  finalized_at?: string;
  /** The DDL guard on the source (plan: ddl.guard): installed, or off because the role may not create event triggers. */
  ddl_guard?: { mode: 'warn' | 'block'; installed: boolean; installed_at?: string; off_because?: string; removed_at?: string };
  [key: string]: unknown;
}
