import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { readSubscription } from '../pg/replication-state.js';

export const enableSubscription: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const client = await ctx.db(ctx.spec.node!);
  const s = await readSubscription(client, r.subscription);
  if (!s.exists) throw new OperationError(`subscription ${r.subscription} is missing on ${ctx.spec.node}`, 'Run apply again: the subscription step will recreate it.');
  if (s.enabled) return { summary: `subscription ${r.subscription} already enabled` };
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `enabled ${r.subscription}` };
};
