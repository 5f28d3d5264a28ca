import type { TaskRunner } from './context.js';
import { readSlots, addLiveLag, formatBytes, type SlotState } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';
import type { ResolvedPlan } from '../plan/plan.js';
import { StreamWatch } from './stream-watch.js';

// A worker that failed this often during the wait is crash-looping: a
// one-off restart (the deadlock a replication set's filling can cause) fails once.
const CRASH_LOOP_ERRORS = 3;
const WORKERLESS_HINT_MS = 30_000;

/**
 * Waits until every node has confirmed the source position read once at the
 * start (L). Compared against that fixed L, not a live pg_current_wal_lsn():
 * the source's WAL moves without anyone's writes. The lag shown is against the
 * live position, though: what each node still has to confirm now, which
 * grows when a stream is stuck. A stream that cannot finish (its worker
 * crash-looping, the schema drifted) stops the wait with the reason.
 */
export const catchUp: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  // The insert position: the end of the last record. pg_current_wal_lsn() may
  // point past it to a page boundary that an idle source reaches only later.
  const step = ctx.describe().steps[0];
  if (step.type !== 'sql') throw new Error('catch-up step is not SQL');
  const target = (await source.query<{ catch_up_lsn: string }>(step.sql)).rows[0].catch_up_lsn;
  const slots = plan.replication.map((r) => r.slot);
  const deadline = Date.now() + plan.catch_up.timeout_seconds * 1000;
  const watch = new StreamWatch(ctx, CRASH_LOOP_ERRORS, 'apply');
  while (true) {
    const states = await addLiveLag(source, await readSlots(source, slots, target));
    const missing = slots.filter((s) => !states.some((x) => x.slot_name === s));
    if (missing.length) throw new OperationError(`slot${missing.length > 1 ? 's' : ''} ${missing.join(', ')} disappeared from the source`, 'Something dropped them; the stream cannot continue. Run `migrate abort` and start again.');
    const worst = Math.max(...states.map((s) => s.lag_bytes ?? Number.MAX_SAFE_INTEGER));
    ctx.progress(describeLag(plan, target, states));
    if (worst <= plan.catch_up.max_lag_bytes) {
      return { facts: { caught_up_lsn: target }, summary: `every node confirmed ${target}` };
    }
    await watch.look();
    const broken = await watch.broken();
    if (broken) throw new OperationError(`the nodes cannot catch up: ${broken.reason}`, broken.hint);
    const stuck = watch.unsteadyFor(WORKERLESS_HINT_MS);
    if (stuck.length) ctx.progress(`no steady apply worker on ${stuck.join(', ')} for ${WORKERLESS_HINT_MS / 1000} s (absent, or restarting): see that node's server log (duplicate keys? missing tables?)`);
    if (Date.now() > deadline) {
      throw new OperationError(`the nodes did not catch up within ${plan.catch_up.timeout_seconds} s (${describeLag(plan, target, states)})`, `${watch.describe()} The slots keep every change for the nodes. Watch them with \`migrate status\`, then run apply again to wait once more.`);
    }
    await ctx.sleep(500);
    if (ctx.signal.aborted) throw new OperationError('stopped while waiting for catch-up');
  }
};

function describeLag(plan: ResolvedPlan, target: string, states: SlotState[]): string {
  const node = (s: SlotState) => plan.replication.find((r) => r.slot === s.slot_name)!.node;
  return `behind the source's live position: ${states.map((s) => `${node(s)} ${formatBytes(s.live_lag_bytes ?? null)}`).join(', ')}; waiting for ${target}: ${states.map((s) => `${node(s)} ${formatBytes(s.lag_bytes)} to go`).join(', ')}`;
}
