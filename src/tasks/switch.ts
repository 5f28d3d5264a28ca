import type { TaskRunner, TaskContext } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { fenceIntruders, describeIntruders, preparedTransactions, describePrepared } from '../pg/write-fence.js';

/**
 * The last look before the point of no return: a write that got past the
 * freeze would be on the source and on no node. Any session of the database
 * but this tool's, or any prepared transaction, calls the cutover off.
 */
async function checkFence(ctx: TaskContext): Promise<void> {
  const source = await ctx.db('source');
  const database = ctx.facts.source_database ?? '';
  const prepared = await preparedTransactions(source);
  if (prepared.length) throw new OperationError(`the write freeze did not hold: ${describePrepared(prepared, database)}`, 'The cutover is called off: the source is unfrozen and replication keeps running.');
  const intruders = await fenceIntruders(source, await ctx.ownSourcePids());
  if (intruders.length) {
    throw new OperationError(`the write freeze did not hold: ${intruders.length === 1 ? 'a session' : `${intruders.length} sessions`} of the source database ${database} besides this tool's: ${describeIntruders(intruders)}`, 'The cutover is called off: the source is unfrozen and replication keeps running, so what they wrote reaches the nodes. Stop that writer (or point it at the nodes after the switch), then run cutover again.');
  }
}

/** The point of no return: once this succeeds, the nodes take the writes and the source is not unfrozen on failure. */
export const switchTraffic: TaskRunner = async (ctx) => {
  const fenced = ctx.plan.cutover.freeze !== 'hook';
  if (fenced) await checkFence(ctx);
  // The fence's two look-ups come first in the description; the switch proper follows.
  for (const step of ctx.describe().steps.slice(fenced ? 2 : 0)) {
    if (step.type === 'command') {
      const r = await ctx.run(step.command, 'switch-hook', { cwd: ctx.loaded.dir, env: { MIGRATE_PLAN: ctx.plan.name } });
      if (r.exitCode !== 0) throw new OperationError(`switch_hook exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
    } else if (step.type === 'sql') {
      await runSqlStep(ctx, step);
    }
  }
  const at = new Date().toISOString();
  ctx.record({ switched_at: at });
  return { facts: { switched_at: at }, summary: ctx.plan.cutover.switch_hook ? 'switch_hook ran: writes go to the nodes' : 'no switch_hook: point the application at the nodes now' };
};
