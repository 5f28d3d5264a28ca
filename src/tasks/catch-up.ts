import type { TaskRunner } from './context.js';
import { readSlots, readSubscription, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';

/**
 * Waits until every node has confirmed the source position read once at the
 * start (L). Compared against that fixed L, not a live pg_current_wal_lsn():
 * the source's WAL moves without anyone's writes.
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
  const workerlessSince: Record<string, number> = {};
  while (true) {
    const states = await readSlots(source, slots, target);
    const missing = slots.filter((s) => !states.some((x) => x.slot_name === s));
    if (missing.length) throw new OperationError(`slot${missing.length > 1 ? 's' : ''} ${missing.join(', ')} disappeared from the source`, 'Something dropped them; the stream cannot continue. Run `migrate abort` and start again.');
    const worst = Math.max(...states.map((s) => s.lag_bytes ?? Number.MAX_SAFE_INTEGER));
    ctx.progress(`target ${target}; lag ${states.map((s) => `${plan.replication.find((r) => r.slot === s.slot_name)!.node} ${formatBytes(s.lag_bytes)}`).join(', ')}`);
    if (worst <= plan.catch_up.max_lag_bytes) {
      return { facts: { caught_up_lsn: target }, summary: `every node confirmed ${target}` };
    }
    for (const r of plan.replication) {
      const sub = await readSubscription(await ctx.db(r.node), r.subscription);
      if (sub.worker_pid) delete workerlessSince[r.node];
      else workerlessSince[r.node] ??= Date.now();
    }
    const stuck = Object.entries(workerlessSince).filter(([, t]) => Date.now() - t > 30_000).map(([n]) => n);
    if (stuck.length) ctx.progress(`no apply worker on ${stuck.join(', ')} for 30 s: see that node's server log (duplicate keys? missing tables?)`);
    if (Date.now() > deadline) {
      throw new OperationError(`the nodes did not catch up within ${plan.catch_up.timeout_seconds} s (worst lag ${formatBytes(worst)})`, 'Replication keeps running. Watch it with `migrate status`, then run apply again to wait once more.');
    }
    await ctx.sleep(500);
    if (ctx.signal.aborted) throw new OperationError('stopped while waiting for catch-up');
  }
};
