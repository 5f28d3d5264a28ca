// Judges two looks at a subscription's apply worker (src/pg/apply-worker.ts
// takes them): one that keeps failing shows as error counters that rise, a pid
// that changes, or no worker at all while its errors are counted. A failed
// worker is started again every wal_retrieve_retry_interval (5 s by default)
// and lives for moments, so "worker none" alone says little; the counters and
// the pid say it is a crash loop. Pure.
import type { WorkerError, WorkerLook } from '../pg/apply-worker.js';

export type WorkerState = 'steady' | 'restarting' | 'failing' | 'not running' | 'disabled' | 'missing';

export interface WorkerHealth {
  node: string;
  subscription: string;
  state: WorkerState;
  /** Errors counted since the statistics were reset, at the last look. */
  errors: number | null;
  /** Errors between the two looks, and the seconds between them. */
  new_errors: number;
  seconds: number;
  pid: number | null;
  error?: WorkerError;
}

// A failing worker lives for moments; one that has run this long has not failed since it started.
const LONG_RUNNING_SECONDS = 10;

/** Whether a first look leaves anything a second one could tell: no worker, or errors counted and a worker that may be their latest restart. */
export function needsSecondLook(first: WorkerLook): boolean {
  if (!first.exists || !first.enabled) return false;
  if (first.pid === null) return true;
  return (first.errors ?? 0) > 0 && !((first.running_seconds ?? 0) >= LONG_RUNNING_SECONDS);
}

export function judgeWorker(node: string, subscription: string, first: WorkerLook, second?: WorkerLook): WorkerHealth {
  const last = second ?? first;
  const newErrors = second && first.errors !== null && second.errors !== null ? Math.max(0, second.errors - first.errors) : 0;
  const base = { node, subscription, errors: last.errors, new_errors: newErrors, seconds: second ? (second.at - first.at) / 1000 : 0, pid: last.pid };
  if (!last.exists) return { ...base, state: 'missing' };
  if (!last.enabled) return { ...base, state: 'disabled' };
  const pidChanged = !!second && first.pid !== null && second.pid !== null && first.pid !== second.pid;
  if (newErrors > 0 || pidChanged) return { ...base, state: 'restarting' };
  if (last.pid === null) return { ...base, state: (last.errors ?? 0) > 0 ? 'failing' : 'not running' };
  // Absent, then started without a new error: it may fail again, or run on after a repair.
  return { ...base, state: 'steady' };
}

/** A worker followed through a wait: the pid it had, since when, and since when it has not been steady. */
export interface WorkerTrack {
  /** The error counters at the first look, and at the last. */
  baseline: number | null;
  errors: number | null;
  pid: number | null;
  pidSince: number;
  looked: boolean;
  unsteadySince?: number;
}

export function newTrack(now: number): WorkerTrack {
  return { baseline: null, errors: null, pid: null, pidSince: now, looked: false };
}

/**
 * The track after one more look. A worker is unsteady from the first look
 * that finds none, another pid than the last, or a counter risen, until one
 * pid has run for `steadyMs` without a new error: a crash-looping worker,
 * present for moments under ever new pids, never becomes steady.
 */
export function followWorker(t: WorkerTrack, w: WorkerLook, steadyMs: number): WorkerTrack {
  const rose = t.errors !== null && w.errors !== null && w.errors > t.errors;
  const next = { ...t, baseline: t.baseline ?? w.errors, errors: w.errors, pid: w.pid, looked: true };
  if (w.pid !== t.pid || rose) next.pidSince = w.at;
  if (w.pid === null || (t.looked && w.pid !== t.pid) || rose) next.unsteadySince ??= w.at;
  else if (w.at - next.pidSince >= steadyMs) next.unsteadySince = undefined;
  return next;
}

/** A worker whose stream is broken: the changes behind it wait on the source, in its slot. */
export function workerBroken(h: WorkerHealth): boolean {
  return h.state === 'restarting' || h.state === 'failing';
}

/**
 * The last ERROR line of this subscription's worker in a server log: one whose
 * CONTEXT (the next lines) names the subscription's replication origin, that
 * names the subscription itself, or that comes from a process that logged
 * starting as a worker of it (the pid in brackets, as the default
 * log_line_prefix writes it).
 */
export function lastWorkerError(log: string, subscription: string, origin: string | null): string | undefined {
  const lines = log.split('\n');
  const ofIt = `subscription "${subscription}"`;
  const pids = new Set<string>();
  let found: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const pid = /\[(\d+)\]/.exec(line)?.[1];
    if (pid && line.includes(`worker for ${ofIt}`)) pids.add(pid);
    if (!/\bERROR:\s/.test(line)) continue;
    const context = lines.slice(i + 1, i + 4).filter((l) => /\b(CONTEXT|DETAIL|HINT):\s/.test(l));
    if (line.includes(ofIt) || (origin && context.some((l) => l.includes(`replication origin "${origin}"`))) || (pid && pids.has(pid))) found = line.trim();
  }
  return found;
}

/** What status, verify and the cutover print for each broken worker; '' when none is. */
export function formatWorkerHealth(workers: WorkerHealth[]): string {
  let s = '';
  for (const w of workers.filter(workerBroken)) {
    const counted = w.errors === null ? '' : `${w.errors} error${w.errors === 1 ? '' : 's'} counted${w.new_errors ? `, ${w.new_errors} in the last ${w.seconds.toFixed(1)} s` : ''}; `;
    const now = w.pid === null ? 'not running now' : `running again as pid ${w.pid}`;
    const what = w.state === 'restarting' ? 'keeps failing and restarting' : 'has failed and is not running';
    s += `${w.node}: the apply worker of subscription ${w.subscription} ${what} (${counted}${now}); every change from the failing one on waits in its slot on the source.\n`;
    if (w.error?.line) s += `  its last error, from ${w.node}'s server log: ${w.error.line}\n`;
    else if (w.error?.where) s += `  its error is in ${w.error.where}\n`;
  }
  return s;
}
