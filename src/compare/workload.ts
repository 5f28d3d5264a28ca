// The measured run: the same queries, at the same concurrency and rate, on
// the source and every node at the same time. A warm-up first, unmeasured;
// then a fixed duration or a fixed count.
//
// Timing. In a closed loop (no rate) a session sends its next query when the
// last one returns, and latency is the service time. At a fixed rate every
// query has a scheduled start (k / rate after the start) and latency runs
// from that schedule, not from when a session got round to sending it: a
// stall on a target shows as the latency of every query it delayed, which is
// what a client at that rate would see (no coordinated omission).
import type pg from 'pg';
import { pgErrorText } from '../pg/connect.js';
import { seededRng, type Rng } from './generators.js';
import { newHistogram, type Histogram } from './histogram.js';
import type { BoundQuery } from './query.js';

export interface WorkloadSettings {
  warmupMs: number;
  durationMs: number;
  /** Executions of each query per target; the run then ends on count (still bounded by hardStopMs). */
  count?: number;
  /** Queries per second per target, over all its sessions. */
  rate?: number;
  hardStopMs: number;
  signal?: AbortSignal;
}

export interface QueryStats {
  histogram: Histogram;
  errors: number;
  firstError: string | null;
  rows: number;
}

interface Phase {
  record: boolean;
  start: number;
  end: number;
  limit: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
// A session that keeps failing (its connection is gone) stops instead of spinning.
const MAX_ERRORS_IN_A_ROW = 50;

export function emptyStats(n: number): QueryStats[] {
  return Array.from({ length: n }, () => ({ histogram: newHistogram(), errors: 0, firstError: null, rows: 0 }));
}

/** Runs warm-up then measurement on one target's sessions; `startAt` is shared by every target. */
export async function runTarget(sessions: pg.Client[], queries: BoundQuery[], s: WorkloadSettings, startAt: number): Promise<QueryStats[]> {
  const stats = emptyStats(queries.length);
  const warmEnd = startAt + s.warmupMs;
  const measureEnd = warmEnd + s.durationMs;
  if (s.warmupMs > 0) {
    await runPhase(sessions, queries, s, { record: false, start: startAt, end: warmEnd, limit: Infinity }, stats, (i) => seededRng(1_000_003 + i));
  }
  const limit = s.count === undefined ? Infinity : s.count * queries.length;
  const end = s.count === undefined ? measureEnd : warmEnd + s.hardStopMs;
  await runPhase(sessions, queries, s, { record: true, start: warmEnd, end, limit }, stats, (i) => seededRng(7919 * (i + 1)));
  return stats;
}

async function runPhase(sessions: pg.Client[], queries: BoundQuery[], s: WorkloadSettings, phase: Phase, stats: QueryStats[], rngFor: (i: number) => Rng): Promise<void> {
  // Execution j of query q draws the j-th values of q's generator: every
  // target runs the same sequence (a faster one gets further along it).
  const rngs = queries.map((_, i) => rngFor(i));
  let next = 0;
  const take = (): { k: number; due: number } | undefined => {
    if (s.signal?.aborted || next >= phase.limit) return undefined;
    const due = s.rate ? phase.start + (next * 1000) / s.rate : nowMs();
    if (due >= phase.end || nowMs() >= phase.end) return undefined;
    return { k: next++, due };
  };
  const worker = async (client: pg.Client) => {
    let failing = 0;
    for (let op = take(); op && failing < MAX_ERRORS_IN_A_ROW; op = take()) {
      const q = op.k % queries.length;
      const values = queries[q].values(rngs[q]);
      const wait = op.due - nowMs();
      if (wait > 0) await sleep(wait);
      const sent = s.rate ? op.due : nowMs();
      try {
        const r = await client.query({ text: queries[q].query.text, values });
        failing = 0;
        if (phase.record) record(stats[q], nowMs() - sent, r.rowCount ?? r.rows.length);
      } catch (e) {
        failing++;
        if (phase.record) {
          stats[q].errors++;
          stats[q].firstError ??= pgErrorText(e);
        }
      }
    }
  };
  await Promise.all(sessions.map(worker));
  if (s.rate && phase.record) recordBacklog(queries.length, next, phase, s.rate, stats);
}

function record(st: QueryStats, latencyMs: number, rows: number): void {
  st.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  st.rows += rows;
}

/**
 * At a fixed rate, queries scheduled before the end that no session could
 * start are not dropped (that would flatter a slow target): each counts with
 * the time it had waited when the run ended, a lower bound of its latency.
 */
function recordBacklog(n: number, taken: number, phase: Phase, rate: number, stats: QueryStats[]): void {
  const stoppedAt = Math.min(nowMs(), phase.end);
  for (let k = taken; k < phase.limit; k++) {
    const due = phase.start + (k * 1000) / rate;
    if (due >= stoppedAt) break;
    stats[k % n].histogram.recordValue(Math.max(1, Math.round((stoppedAt - due) * 1000)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
