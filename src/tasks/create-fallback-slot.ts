import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';
import { publishedTables } from '../pg/row-counts.js';

/**
 * Runs after the drain and before the switch, while the node holds exactly
 * the frozen source and no application write: its slot's consistent point is
 * then the point where node and source are equal. A cutover started over
 * before its switch runs this again: a slot left by an earlier attempt is
 * dropped and made anew at the current point (nothing has written since).
 */
export const createFallbackSlot: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const forward = ctx.plan.replication.find((r) => r.node === f.node) ?? ctx.plan.replication[0];
  const tables = await publishedTables(await ctx.db('source'), forward.publication);
  if (!tables.length) throw new OperationError(`the forward publication ${forward.publication} publishes no table on the source`);
  ctx.record({ fallback_tables: tables });
  const node = await ctx.db(f.node);
  const [publication, slot] = ctx.describe().steps;
  await node.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [f.slot]);
  await runSqlStep(ctx, publication);
  const res = await runSqlStep(ctx, slot);
  const point = res.rows[0]?.fallback_consistent_point as string | undefined;
  if (!point) throw new OperationError(`could not create the fallback slot ${f.slot} on ${f.node}`);
  const fallback = { node: f.node, slot: f.slot, publication: f.publication, subscription: f.subscription, consistent_point: point, created_at: new Date().toISOString() };
  ctx.record({ fallback });
  return { facts: { fallback }, summary: `slot ${f.slot} on ${f.node} at ${point}` };
};
