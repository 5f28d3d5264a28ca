import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { unfreezeWrites } from '../pg/write-freeze.js';
import { writable } from './rollback-freeze.js';
import { checkNodeFence } from './node-fence.js';

/** The way back's point of no return: after the switch_hook, writes go to the source. */
export const rollbackSwitch: TaskRunner = async (ctx) => {
  await checkNodeFence(ctx);
  // The steps before the last are the fence's looks, which checkNodeFence made.
  for (const step of ctx.describe().steps.slice(-1)) {
    if (step.type === 'command') {
      const r = await ctx.run(step.command, 'rollback-switch-hook', { cwd: ctx.loaded.dir, env: { MIGRATE_PLAN: ctx.plan.name } });
      if (r.exitCode !== 0) throw new OperationError(`rollback.switch_hook exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
    } else if (step.type === 'sql') {
      await runSqlStep(ctx, step);
    }
  }
  const at = new Date().toISOString();
  ctx.record({ rolled_back_at: at });
  return { summary: ctx.plan.rollback?.switch_hook ? 'rollback.switch_hook ran: writes go to the source' : 'no rollback.switch_hook: point the application at the source now' };
};

/** The cutover left the source read-only; it takes writes again, and sessions opened read-only are ended so that pools reconnect writable. */
export const unfreezeSource: TaskRunner = async (ctx) => {
  const source = await ctx.db('source').then(writable);
  const database = ctx.facts.source_database ?? (await source.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
  await unfreezeWrites(source, { database, read_only_before: ctx.facts.freeze?.read_only_before ?? null });
  const [, end] = ctx.describe().steps;
  const ended = (await runSqlStep(ctx, end)).rowCount ?? 0;
  const at = new Date().toISOString();
  ctx.record({ source_unfrozen_at: at });
  delete ctx.facts.freeze;
  ctx.journal.save();
  return { summary: `${database} is writable again; ${ended} read-only session${ended === 1 ? '' : 's'} ended` };
};
