import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { unfreezeWrites } from '../pg/write-freeze.js';
import { writable } from './rollback-freeze.js';
import { fallbackOf } from '../plan/fallback.js';

/** Refuses unless a fallback stream runs: before anything is frozen. */
export const rollbackReady: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const source = await ctx.db('source');
  const deadline = Date.now() + 30_000;
  while (true) {
    const r = await source.query<{ pid: number | null }>('SELECT pid FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL', [f.subscription]);
    if (r.rows[0]?.pid) return { summary: `fallback subscription ${f.subscription} streams from ${f.node}` };
    if (Date.now() > deadline) throw new OperationError(`the fallback subscription ${f.subscription} on the source has no running apply worker`, 'Look at the source\'s log (it names why the worker stops); nothing was changed. Run rollback again once it runs.');
    await ctx.sleep(200);
  }
};

/** The way back's point of no return: after the switch_hook, writes go to the source. */
export const rollbackSwitch: TaskRunner = async (ctx) => {
  for (const step of ctx.describe().steps) {
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
