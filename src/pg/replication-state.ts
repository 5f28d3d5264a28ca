// Reading where replication stands, on the source (slots) and on the nodes
// (subscriptions). Used by catch-up, status and the cutover's waits.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';

export interface SlotState {
  slot_name: string;
  active: boolean;
  confirmed_flush_lsn: string | null;
  /** Bytes from confirmed_flush_lsn to the target (or the current position). */
  lag_bytes: number | null;
  /** WAL the slot keeps on the source's disk. */
  retained_bytes: number | null;
  wal_status?: string | null;
  /** Bytes from confirmed_flush_lsn to the source's live insert position: what the node still has to confirm now. */
  live_lag_bytes?: number | null;
}

export async function readSlots(source: pg.Client, slots: string[], targetLsn: string | null): Promise<SlotState[]> {
  const r = await source.query(renderSql('slot-lag.sql.hbs', { slots, target_lsn: targetLsn }));
  return r.rows.map((row) => ({
    slot_name: row.slot_name,
    active: row.active,
    confirmed_flush_lsn: row.confirmed_flush_lsn,
    lag_bytes: row.lag_bytes === null ? null : Math.max(0, Number(row.lag_bytes)),
    retained_bytes: row.retained_bytes === null ? null : Number(row.retained_bytes),
  }));
}

/** Each slot's live_lag_bytes: against pg_current_wal_insert_lsn(), the end of the last record written. */
export async function addLiveLag(source: pg.ClientBase, states: SlotState[]): Promise<SlotState[]> {
  const r = await source.query<{ slot_name: string; live: string | null }>(
    'SELECT slot_name, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::text AS live FROM pg_replication_slots WHERE slot_name = ANY($1::text[])',
    [states.map((s) => s.slot_name)],
  );
  const live = new Map(r.rows.map((x) => [x.slot_name, x.live === null ? null : Math.max(0, Number(x.live))]));
  return states.map((s) => ({ ...s, live_lag_bytes: live.get(s.slot_name) ?? null }));
}

export interface SubscriptionState {
  exists: boolean;
  enabled: boolean;
  /** The subscription's own synchronous_commit (its apply worker's). */
  synchronous_commit: string | null;
  worker_pid: number | null;
  received_lsn: string | null;
  latest_end_lsn: string | null;
  latest_end_time: Date | null;
  last_msg_receipt_time: Date | null;
}

export async function readSubscription(node: pg.Client, subscription: string): Promise<SubscriptionState> {
  const r = await node.query(
    `SELECT s.subenabled, s.subsynccommit, st.pid, st.received_lsn::text, st.latest_end_lsn::text, st.latest_end_time, st.last_msg_receipt_time
       FROM pg_subscription s
       LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
      WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [subscription],
  );
  if (!r.rows.length) return { exists: false, enabled: false, synchronous_commit: null, worker_pid: null, received_lsn: null, latest_end_lsn: null, latest_end_time: null, last_msg_receipt_time: null };
  const row = r.rows[0];
  return { exists: true, enabled: row.subenabled, synchronous_commit: row.subsynccommit, worker_pid: row.pid, received_lsn: row.received_lsn, latest_end_lsn: row.latest_end_lsn, latest_end_time: row.latest_end_time, last_msg_receipt_time: row.last_msg_receipt_time };
}

export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) [v, i] = [v / 1024, i + 1];
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
