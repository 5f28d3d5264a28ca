import type { TaskRunner } from './context.js';
import { readSlots, readSubscription, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';

/** Nothing is frozen unless every node is streaming and close behind: a long freeze is the one thing a cutover must not do. */
export const cutoverReady: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  if (!ctx.journal.data.completed.apply) {
    throw new OperationError('apply has not finished for this plan', 'Run `migrate apply` first; cutover starts from nodes that are streaming and caught up.');
  }
  const problems: string[] = [];
  const applySync: Record<string, string> = {};
  const slots = await readSlots(await ctx.db('source'), plan.replication.map((r) => r.slot), null);
  for (const r of plan.replication) {
    const sub = await readSubscription(await ctx.db(r.node), r.subscription);
    if (sub.synchronous_commit) applySync[r.node] = sub.synchronous_commit;
    const slot = slots.find((s) => s.slot_name === r.slot);
    if (!sub.exists) problems.push(`${r.node}: subscription ${r.subscription} is missing`);
    else if (!sub.enabled) problems.push(`${r.node}: subscription ${r.subscription} is disabled`);
    else if (!sub.worker_pid) problems.push(`${r.node}: no apply worker runs for ${r.subscription} (see the node's log)`);
    if (!slot) problems.push(`${r.node}: slot ${r.slot} is missing on the source`);
    else if ((slot.lag_bytes ?? Infinity) > plan.cutover.max_lag_bytes) problems.push(`${r.node}: ${formatBytes(slot.lag_bytes)} behind (cutover.max_lag_bytes is ${formatBytes(plan.cutover.max_lag_bytes)})`);
  }
  if (problems.length) throw new OperationError(`not ready to cut over: ${problems.join('; ')}`, 'Nothing was frozen. Check `migrate status`, then run cutover again.');
  // A subscription applies with synchronous_commit = off by default, so it
  // confirms a position only after the node's WAL writer has flushed and its
  // next wake-up (up to ~1 s): that would be most of the write freeze. With
  // synchronous apply it confirms as soon as it has applied. Set before the
  // freeze, while transactions still flow, since the worker rereads its
  // settings at the start of a transaction; undone if the cutover is called off.
  for (const r of plan.replication) {
    if (applySync[r.node] === 'on') continue;
    const sql = renderSql('set-apply-sync.sql.hbs', { subscription: r.subscription, value: 'on' });
    ctx.sqlRan(r.node, sql);
    await (await ctx.db(r.node)).query(sql);
  }
  ctx.record({ apply_sync_before: applySync });
  return { summary: `every node streaming; lag ${slots.map((s) => formatBytes(s.lag_bytes)).join(', ')}; apply made synchronous` };
};
