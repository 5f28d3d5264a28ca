import type { TaskRunner } from './context.js';
import { runSqlStep, exists } from './sql.js';

export const createPublication: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const source = await ctx.db('source');
  if (await exists(source, 'SELECT 1 FROM pg_publication WHERE pubname = $1', [r.publication])) {
    return { summary: `publication ${r.publication} already exists` };
  }
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `created publication ${r.publication}` };
};
