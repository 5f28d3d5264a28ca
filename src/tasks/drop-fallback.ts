import type pg from 'pg';
import type { TaskRunner, TaskContext, TaskOutcome } from './context.js';
import { dropSlot } from '../pg/teardown.js';
import { OperationError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';
import { fallbackOf, type FallbackStream } from '../plan/fallback.js';
import { writable } from './rollback-freeze.js';
import { databaseReadOnlySetting } from '../pg/write-freeze.js';

const EXISTS = "SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())";

/**
 * Subscription on the source first (detached from its slot, so the drop needs
 * no connection to the node), then the slot and publication on the node. The
 * slot stays active for a moment after its walsender is told to end: retried.
 * Safe to rerun: each part is looked up first.
 */
export const dropFallback: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const [, dropSub, dropNode] = ctx.describe().steps;
  const source = await ctx.db('source').then(writable);
  if ((await source.query(EXISTS, [f.subscription])).rowCount) await source.query((dropSub as { sql: string }).sql);
  const node = await ctx.db(f.node).then(writable, (e) => {
    if (!/not currently accepting connections/.test(pgErrorText(e))) throw e;
    return undefined;
  });
  if (!node) {
    // A rollback run again after a kill past its switch: the node stays closed, and its slot goes from another database of its server.
    await dropSlot(await ctx.nodeServer(f.node), f.slot);
    ctx.warn(`${f.node} takes no connection (the rollback's freeze): its slot ${f.slot} was dropped from another database of its server; the publication ${f.publication} (which holds nothing) stays until \`migrate abort --drop-data\` opens and empties the node`);
    return recordDropped(ctx, source, f);
  }
  const deadline = Date.now() + 15_000;
  while (true) {
    try {
      await node.query((dropNode as { sql: string }).sql);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new OperationError(`could not drop the fallback slot ${f.slot} on ${f.node}: ${pgErrorText(e)}`, `Drop it by hand (SELECT pg_drop_replication_slot('${f.slot}') on ${f.node}): it holds WAL on the node.`);
      await ctx.sleep(100);
    }
  }
  return recordDropped(ctx, source, f);
};

async function recordDropped(ctx: TaskContext, source: pg.Client, f: FallbackStream): Promise<TaskOutcome> {
  const at = new Date().toISOString();
  ctx.record({ fallback: { ...(ctx.facts.fallback ?? { node: f.node, slot: f.slot, publication: f.publication, subscription: f.subscription, consistent_point: '', created_at: at }), dropped_at: at } });
  if (ctx.spec.stage !== 'finalize') return { summary: 'fallback stream dropped on the source and the node' };
  const readOnly = (await databaseReadOnlySetting(source)).value;
  ctx.record({ finalized_at: at });
  return { summary: `fallback stream dropped; the source ${readOnly === 'on' ? 'stays read-only' : 'is NOT read-only (default_transaction_read_only is not on): make sure the application does not write to it'}` };
}
