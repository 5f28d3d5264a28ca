import type { TaskRunner } from './context.js';
import { databaseReadOnlySetting, freezeWrites as freeze } from '../pg/write-freeze.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';

export const freezeWrites: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  const setting = await databaseReadOnlySetting(source);
  ctx.facts.source_database = setting.database;
  // Durable before it takes effect: a kill from here on still knows how to undo it.
  const frozenAt = new Date().toISOString();
  ctx.record({ source_database: setting.database, freeze: { database: setting.database, read_only_before: setting.value, frozen_at: frozenAt, hook: plan.cutover.freeze !== 'builtin' } });
  let ended = 0;
  for (const step of ctx.describe().steps) {
    if (step.type === 'command') {
      const r = await ctx.run(step.command, 'freeze-hook', { cwd: ctx.loaded.dir });
      if (r.exitCode !== 0) throw new OperationError(`freeze_hook exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
    } else if (step.type === 'sql' && step.on === 'source' && /default_transaction_read_only/.test(step.sql)) {
      ctx.sqlRan('source', step.sql);
      ended = await freeze(source, step.sql);
    } else if (step.type === 'sql') {
      await runSqlStep(ctx, step);
    }
  }
  return { summary: `writes frozen on ${setting.database}${plan.cutover.freeze !== 'hook' ? `; ${ended} other session${ended === 1 ? '' : 's'} ended` : ''}` };
};
