import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';

const EXISTS = "SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())";

/** Disabled, its origin at the fallback slot's consistent point: the reverse of the apply stage's subscriptions. */
export const createFallbackSubscription: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const point = ctx.facts.fallback?.consistent_point;
  if (!point) throw new OperationError('no fallback slot is recorded; the fallback subscription cannot be positioned');
  const source = await ctx.db('source');
  const [create, advance] = ctx.describe().steps;
  // Left by a cutover started over: detached and dropped, the slot was made anew.
  if ((await source.query(EXISTS, [f.subscription])).rowCount) {
    await source.query(renderSql('drop-fallback-subscription.sql.hbs', { subscription: f.subscription }));
  }
  await runSqlStep(ctx, create);
  const res = await runSqlStep(ctx, advance);
  if (res.rowCount !== 1) throw new OperationError(`subscription ${f.subscription} is not on the source after creating it`);
  return { summary: `subscription ${f.subscription} on the source (disabled), origin at ${point}` };
};

/** Only once the forward subscriptions and their slots are gone: otherwise what it applies would flow back to the nodes. */
export const enableFallback: TaskRunner = async (ctx) => {
  const [enable] = ctx.describe().steps;
  await runSqlStep(ctx, enable);
  const at = new Date().toISOString();
  ctx.record({ fallback: { ...ctx.facts.fallback!, enabled_at: at } });
  return { summary: `fallback subscription enabled: writes on ${ctx.facts.fallback!.node} stream to the source` };
};
