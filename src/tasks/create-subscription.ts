import type { TaskRunner } from './context.js';
import { runSqlStep, lsnToBigInt } from './sql.js';
import type pg from 'pg';
import { OperationError } from '../errors.js';
import { clashingNode, nextOriginId, originClashFix, originIdsText, spockNodeIds, subscriptionOriginId } from '../pg/spock-origins.js';
import { detachAndDropSubscription } from '../pg/teardown.js';
import { subscriptionOwner, requireOwn } from '../pg/run-marks.js';
import { isPgedgeNode } from '../plan/plan.js';

/**
 * The subscription is created disabled and its origin set to the anchor's
 * consistent point before it may stream: the dump already holds everything
 * before that point. Safe to rerun: an origin that has moved past the anchor
 * has streamed, and moving it back would apply changes twice.
 */
export const createSubscription: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const node = ctx.spec.node!;
  const anchor = ctx.facts.anchor;
  if (!anchor) throw new OperationError('no anchor position is recorded; the subscription cannot be positioned');
  const client = await ctx.db(node);
  // On a pgEdge node a look at the origin ids comes first; this task makes it in code.
  const [create, advance] = ctx.describe().steps.slice(-2);
  const existing = await client.query<{ subenabled: boolean; origin: string; remote_lsn: string | null }>(
    `SELECT s.subenabled, 'pg_' || s.oid AS origin, o.remote_lsn::text AS remote_lsn
       FROM pg_subscription s LEFT JOIN pg_replication_origin_status o ON o.external_id = 'pg_' || s.oid
      WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [r.subscription],
  );
  let summary = `created subscription ${r.subscription} (disabled)`;
  const pgedge = isPgedgeNode(ctx.plan, node);
  if (existing.rows.length === 0) {
    if (pgedge) await refuseOriginIdClash(client, node, await nextOriginId(client));
    await runSqlStep(ctx, create);
  } else {
    const s = existing.rows[0];
    requireOwn(`subscription ${r.subscription} on ${node}`, await subscriptionOwner(client, r.subscription, ctx.identity, ctx.stateDir), '`migrate apply`');
    summary = `subscription ${r.subscription} already exists`;
    const moved = s.remote_lsn && s.remote_lsn !== '0/0' && lsnToBigInt(s.remote_lsn) >= lsnToBigInt(anchor.consistent_point);
    if (s.subenabled || moved) {
      return { facts: { origins: { ...ctx.facts.origins, [node]: s.origin } }, summary: `${summary}, origin ${s.origin} at ${s.remote_lsn ?? 'start'}` };
    }
  }
  // Proven on what was created, before anything streams: a clash found now leaves the subscription disabled, and it is removed.
  const ids = pgedge ? await provenOriginId(client, node, r.subscription) : '';
  const res = await runSqlStep(ctx, advance);
  if (res.rowCount !== 1) throw new OperationError(`subscription ${r.subscription} is not on ${node} after creating it`);
  const origin = res.rows[0].origin as string;
  return { facts: { origins: { ...ctx.facts.origins, [node]: origin } }, summary: `${summary}; origin ${origin} advanced to ${anchor.consistent_point}${ids}` };
};

async function refuseOriginIdClash(client: pg.Client, node: string, originId: number): Promise<void> {
  const clash = clashingNode(originId, await spockNodeIds(client));
  if (!clash) return;
  throw new OperationError(`on ${node}, the subscription's replication origin would get id ${originId}, which is the id of Spock node ${clash.name}: rows from the source would look as if ${clash.name} had written them`, originClashFix(node, originId));
}

async function provenOriginId(client: pg.Client, node: string, subscription: string): Promise<string> {
  const id = await subscriptionOriginId(client, subscription);
  const nodes = await spockNodeIds(client);
  if (id === undefined) throw new OperationError(`subscription ${subscription} on ${node} has no replication origin after its creation`);
  const clash = clashingNode(id, nodes);
  if (clash) {
    await detachAndDropSubscription(client, subscription);
    throw new OperationError(`on ${node}, the origin of subscription ${subscription} got id ${id}, the id of Spock node ${clash.name}; the subscription was removed (its slot on the source stays)`, originClashFix(node, id));
  }
  return ` (${originIdsText(id, nodes)}: no overlap)`;
}
