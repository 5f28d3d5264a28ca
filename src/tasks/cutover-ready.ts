import type { TaskRunner } from './context.js';
import { readSlots, readSubscription, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';
import { preparedTransactions, describePrepared } from '../pg/write-fence.js';
import { FULL_CHECK_SESSIONS } from '../verify/verify-node.js';
import { readCoverageFacts } from '../pg/subscription-coverage.js';
import { judgeCoverage, formatCoverage } from '../verify/coverage-gaps.js';
import { coverageTarget } from '../verify/plan-coverage.js';
import { nodeWorker } from '../verify/plan-workers.js';
import { readRecordedDdl } from '../pg/ddl-log.js';
import { formatWorkerHealth, workerBroken } from '../verify/worker-restarts.js';

/** Nothing is frozen unless every node is streaming and close behind: a long freeze is the one thing a cutover must not do. */
export const cutoverReady: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  if (!ctx.journal.data.completed.apply) {
    throw new OperationError('apply has not finished for this plan', 'Run `migrate apply` first; cutover starts from nodes that are streaming and caught up.');
  }
  const problems: string[] = [];
  // Judged after the wait for workers started again: a look from before it
  // would call a worker that failed once and is back "failed and not running".
  await workersBack(ctx);
  // A worker that keeps failing, with its error: a column or table made on the source by hand, a duplicate key.
  const workers = await Promise.all(plan.replication.map(async (r) => nodeWorker(await ctx.db(r.node), r.node, r.subscription)));
  const failing = new Set(workers.filter(workerBroken).map((w) => w.node));
  const applySync: Record<string, string> = {};
  const slots = await readSlots(await ctx.db('source'), plan.replication.map((r) => r.slot), null);
  for (const r of plan.replication) {
    const sub = await readSubscription(await ctx.db(r.node), r.subscription);
    if (sub.synchronous_commit) applySync[r.node] = sub.synchronous_commit;
    const slot = slots.find((s) => s.slot_name === r.slot);
    if (!sub.exists) problems.push(`${r.node}: subscription ${r.subscription} is missing`);
    else if (!sub.enabled) problems.push(`${r.node}: subscription ${r.subscription} is disabled`);
    else if (!sub.worker_pid && !failing.has(r.node)) problems.push(`${r.node}: no apply worker runs for ${r.subscription} (see the node's log)`);
    if (!slot) problems.push(`${r.node}: slot ${r.slot} is missing on the source`);
    else if ((slot.lag_bytes ?? Infinity) > plan.cutover.max_lag_bytes) problems.push(`${r.node}: ${formatBytes(slot.lag_bytes)} behind (cutover.max_lag_bytes is ${formatBytes(plan.cutover.max_lag_bytes)})`);
  }
  // A node that discards a published table's changes would be switched to
  // with its rows stale, and the count check passes whenever counts match.
  // Read even when a node has another problem: a missing column stops its worker.
  const coverage = [];
  const recorded = await readRecordedDdl(await ctx.db('source'), { pendingOnly: true });
  for (const r of plan.replication) coverage.push(judgeCoverage(coverageTarget(plan, r), await readCoverageFacts(await ctx.db('source'), await ctx.db(r.node), r.publication, r.subscription), { plan_file: ctx.loaded.file, recorded }));
  if (failing.size) problems.push(formatWorkerHealth(workers).trimEnd());
  const gaps = coverage.some((c) => c.gaps.length) ? `not every published table reaches the nodes:\n${formatCoverage(coverage).trimEnd()}` : '';
  if (problems.length || gaps) {
    throw new OperationError(`not ready to cut over: ${[problems.join('; '), gaps].filter(Boolean).join('; ')}`, `Nothing was frozen. ${gaps ? 'Run the fix above, wait until `migrate status` shows no gap' : 'Check `migrate status`'}, then run cutover again.`);
  }
  const source = await ctx.db('source');
  const prepared = await preparedTransactions(source);
  if (prepared.length) {
    const { rows } = await source.query<{ db: string }>('SELECT current_database() AS db');
    throw new OperationError(`not ready to cut over: ${describePrepared(prepared, rows[0].db)}`, 'Nothing was frozen. Run cutover again once none is left.');
  }
  if (plan.cutover.freeze !== 'hook') {
    // Every session the freeze and the steps after it need on the source is
    // opened now: from the freeze on, the database takes no new connection.
    // One per step that may run at once (each node's sequences and check, a hook), and the full check's own.
    await ctx.sourceServer();
    await ctx.warmSourceSessions(2 * plan.nodes.length + 2 + (plan.cutover.check === 'full' ? FULL_CHECK_SESSIONS * plan.nodes.length : 0));
  }
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

/**
 * An apply worker that stopped on an error starts again after
 * wal_retrieve_retry_interval (5 s by default): the Snowflake conversion just
 * before, which locks the tables it converts while the stream applies, can
 * end one in a deadlock. Waited for, briefly, before calling a node not ready.
 */
async function workersBack(ctx: Parameters<TaskRunner>[0]): Promise<void> {
  const deadline = Date.now() + 12_000;
  for (;;) {
    const subs = await Promise.all(ctx.plan.replication.map(async (r) => readSubscription(await ctx.db(r.node), r.subscription)));
    if (subs.every((s) => !s.exists || !s.enabled || s.worker_pid) || Date.now() > deadline) return;
    ctx.progress(`waiting for the apply worker of ${ctx.plan.replication.filter((_, i) => !subs[i].worker_pid).map((r) => r.subscription).join(', ')} to start again`);
    await ctx.sleep(250);
    if (ctx.signal.aborted) return;
  }
}
