// After the switch: the replication objects of the migration go away.
import type { TaskRunner } from './context.js';
import { detachAndDropSubscription, dropSlot, dropPublication } from '../pg/teardown.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { join } from 'node:path';

export const dropSubscription: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const client = await ctx.db(ctx.spec.node!);
  if (ctx.plan.cutover.freeze !== 'hook') {
    // The source database is still closed to connections: drop-slots drops the slot from the tool's own session.
    const detached = await detachAndDropSubscription(client, r.subscription);
    return { summary: detached ? `dropped ${r.subscription} (detached; its slot goes next)` : `${r.subscription} was already gone` };
  }
  try {
    // The plain DROP also drops the slot on the source, through the subscription's own connection.
    await runSqlStep(ctx, ctx.describe().steps[0]);
    return { summary: `dropped ${r.subscription} and its slot` };
  } catch (e) {
    // The source unreachable from the node: detach, and drop-slots removes the slot from here.
    const detached = await detachAndDropSubscription(client, r.subscription);
    ctx.warn(`${r.subscription}: dropped detached (${(e as Error).message}); its slot is dropped from the source side`);
    return { summary: detached ? `dropped ${r.subscription} (detached)` : `${r.subscription} was already gone` };
  }
};

export const dropSlots: TaskRunner = async (ctx) => {
  const source = await ctx.db('source');
  const left: string[] = [];
  for (const r of ctx.plan.replication) if (await dropSlot(source, r.slot)) left.push(r.slot);
  // With the builtin freeze the subscriptions were detached: their slots are dropped here, as planned.
  if (ctx.plan.cutover.freeze !== 'hook') return { summary: left.length ? `dropped slots ${left.join(', ')}` : 'no slot of this plan is left on the source' };
  if (left.length) ctx.warn(`slot${left.length > 1 ? 's' : ''} ${left.join(', ')} outlived ${left.length > 1 ? 'their subscriptions' : 'its subscription'} and ${left.length > 1 ? 'were' : 'was'} dropped`);
  return { summary: left.length ? `dropped leftover slots ${left.join(', ')}` : 'no slot of this plan is left on the source' };
};

export const dropPublications: TaskRunner = async (ctx) => {
  const source = await ctx.db('source');
  const dropped: string[] = [];
  for (const r of ctx.plan.replication) if (await dropPublication(source, r.publication)) dropped.push(r.publication);
  return { summary: dropped.length ? `dropped ${dropped.join(', ')}` : 'publications already gone' };
};

export const vacuum: TaskRunner = async (ctx) => {
  const step = ctx.describe().steps[0];
  if (step.type !== 'command') throw new Error('vacuum step is not a command');
  const r = await ctx.run(step.command, `vacuumdb-${ctx.spec.node}`);
  if (r.exitCode !== 0) throw new OperationError(`vacuumdb on ${ctx.spec.node} exited ${r.exitCode}`, `See ${join(ctx.runDir, `vacuumdb-${ctx.spec.node}.log`)}; the migration itself is complete.`);
  return { summary: `statistics rebuilt in ${(r.durationMs / 1000).toFixed(1)} s` };
};
