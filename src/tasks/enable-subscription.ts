import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';

export const enableSubscription: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const client = await ctx.db(ctx.spec.node!);
  const s = await client.query<{ subenabled: boolean }>('SELECT subenabled FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [r.subscription]);
  if (!s.rows.length) throw new OperationError(`subscription ${r.subscription} is missing on ${ctx.spec.node}`, 'Run apply again: the subscription step will recreate it.');
  if (s.rows[0].subenabled) return { summary: `subscription ${r.subscription} already enabled` };
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `enabled ${r.subscription}` };
};
