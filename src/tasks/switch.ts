import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { checkFence } from './fence.js';

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
