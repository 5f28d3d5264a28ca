// One reading of where a migration stands, for `status --watch`,
// `status --prometheus` and `migrate metrics`: per node its stream, lag, the
// WAL its slot holds and its apply errors; the plan's phase from the journal;
// the last cutover's write downtime from its report. Read-only sessions only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { stateDir, type LoadedPlan } from '../plan/load.js';
import { Journal, type JournalData } from '../engine/journal.js';
import { withCheckSession } from '../check/session.js';
import { pgErrorText } from '../pg/connect.js';
import { readSlots, readSubscription, type SlotState } from '../pg/replication-state.js';

export interface NodeSample {
  node: string;
  subscription: string;
  slot: string;
  reachable: boolean;
  error: string | null;
  streaming: boolean;
  lag_bytes: number | null;
  lag_seconds: number | null;
  retained_bytes: number | null;
  /** The slot's confirmed_flush_lsn as a byte position: its rate is the apply rate. */
  confirmed_bytes: number | null;
  apply_errors: number | null;
  sync_errors: number | null;
}

export interface ReplicationSample {
  at: Date;
  plan: string;
  source_up: boolean;
  source_error: string | null;
  phase: Phase;
  writes_frozen: boolean;
  last_cutover_downtime_ms: number | null;
  nodes: NodeSample[];
}

export type Phase = 'not_started' | 'applying' | 'streaming' | 'writes_frozen' | 'switched' | 'cut_over';

export const PHASES: Phase[] = ['not_started', 'applying', 'streaming', 'writes_frozen', 'switched', 'cut_over'];

export async function collectSample(loaded: LoadedPlan, stateDirOverride?: string): Promise<ReplicationSample> {
  const { plan } = loaded;
  const state = stateDir(loaded, stateDirOverride);
  const journal = existsSync(Journal.file(state)) ? Journal.open(state, plan.name).data : undefined;
  let slots: SlotState[] = [];
  let sourceError: string | null = null;
  try {
    slots = await withCheckSession(plan.source.dsn, 'the source', (c) => readSlots(c, plan.replication.map((r) => r.slot), null));
  } catch (e) {
    sourceError = pgErrorText(e);
  }
  const nodes = await Promise.all(
    plan.replication.map((r) => sampleNode(plan.nodes.find((n) => n.name === r.node)!.dsn, r, slots.find((s) => s.slot_name === r.slot))),
  );
  return {
    at: new Date(),
    plan: plan.name,
    source_up: sourceError === null,
    source_error: sourceError,
    phase: phaseOf(journal),
    writes_frozen: Boolean(journal?.facts.freeze && !journal.facts.switched_at),
    last_cutover_downtime_ms: lastCutoverDowntime(state),
    nodes,
  };
}

async function sampleNode(dsn: string, r: { node: string; subscription: string; slot: string }, slot: SlotState | undefined): Promise<NodeSample> {
  const s: NodeSample = {
    node: r.node,
    subscription: r.subscription,
    slot: r.slot,
    reachable: false,
    error: null,
    streaming: false,
    lag_bytes: slot?.lag_bytes ?? null,
    lag_seconds: null,
    retained_bytes: slot?.retained_bytes ?? null,
    confirmed_bytes: slot?.confirmed_flush_lsn ? lsnBytes(slot.confirmed_flush_lsn) : null,
    apply_errors: null,
    sync_errors: null,
  };
  try {
    await withCheckSession(dsn, `node ${r.node}`, async (c) => {
      const sub = await readSubscription(c, r.subscription);
      s.reachable = true;
      s.streaming = Boolean(sub.exists && sub.enabled && sub.worker_pid && slot);
      // Idle streams stop moving latest_end_time: no lag is no lag, however old the timestamp.
      if (slot?.lag_bytes === 0) s.lag_seconds = 0;
      else if (sub.latest_end_time) s.lag_seconds = Math.max(0, (Date.now() - new Date(sub.latest_end_time).getTime()) / 1000);
      Object.assign(s, await subscriptionErrors(c, r.subscription));
    });
  } catch (e) {
    s.error = pgErrorText(e);
  }
  return s;
}

/** pg_stat_subscription_stats exists from PostgreSQL 15 on; before that the counts are unknown, not zero. */
async function subscriptionErrors(c: pg.Client, subscription: string): Promise<{ apply_errors: number | null; sync_errors: number | null }> {
  try {
    const r = await c.query(`SELECT apply_error_count::float8 AS a, sync_error_count::float8 AS s FROM pg_stat_subscription_stats WHERE subname = $1`, [subscription]);
    return r.rows.length ? { apply_errors: Number(r.rows[0].a), sync_errors: Number(r.rows[0].s) } : { apply_errors: null, sync_errors: null };
  } catch {
    return { apply_errors: null, sync_errors: null };
  }
}

export function phaseOf(journal: JournalData | undefined): Phase {
  if (!journal) return 'not_started';
  if (journal.completed.cutover) return 'cut_over';
  if (journal.facts.switched_at) return 'switched';
  if (journal.facts.freeze) return 'writes_frozen';
  if (journal.completed.apply) return 'streaming';
  return Object.keys(journal.tasks).length ? 'applying' : 'not_started';
}

/** The write downtime the newest cutover report gives. */
function lastCutoverDowntime(state: string): number | null {
  const runs = join(state, 'runs');
  if (!existsSync(runs)) return null;
  for (const dir of readdirSync(runs).filter((d) => d.endsWith('-cutover')).sort().reverse()) {
    try {
      const report = JSON.parse(readFileSync(join(runs, dir, 'report.json'), 'utf8'));
      const ms = report?.cutover?.write_downtime_ms;
      if (typeof ms === 'number') return ms;
    } catch {
      // An unreadable or unfinished report: look at the one before.
    }
  }
  return null;
}

/** 'X/Y' as a byte position (exact below 2^53 bytes, 8 PB of WAL). */
export function lsnBytes(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}
