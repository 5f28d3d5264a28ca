// Before the nodes' freeze: the fallback stream runs end to end, no prepared
// transaction is open on a node, and every session the steps after the
// freeze need on the nodes is open (from the freeze on, the nodes' databases
// take no new connection).
import type { TaskRunner, TaskContext } from './context.js';
import { OperationError } from '../errors.js';
import { fallbackOf } from '../plan/fallback.js';
import { openDatabase } from '../pg/write-freeze.js';
import { parseConninfo } from '../plan/conninfo.js';
import { nodesPrepared } from './node-fence.js';
import { readSpockSubscriptions } from '../pg/spock-subscriptions.js';

/** Sessions per node the steps after the freeze may use at once: drain or sequences, check, and one to spare. */
const NODE_SESSIONS = 3;

/**
 * A rollback killed after its freeze left the nodes closed: this run opens
 * them for as long as it takes to open its own sessions, then freezes again.
 * Whatever is written meanwhile lies before the new frozen position, so it
 * reaches the source; the downtime still counts from the first freeze.
 */
async function reopenAfterKill(ctx: TaskContext): Promise<string[]> {
  const freeze = ctx.facts.rollback_freeze;
  if (!freeze?.closed) return [];
  for (const n of ctx.plan.nodes) {
    const database = freeze.databases?.[n.name] ?? parseConninfo(n.dsn).dbname ?? '';
    await openDatabase(await ctx.nodeServer(n.name), database);
  }
  ctx.record({ rollback_freeze: { ...freeze, closed: false } });
  return ctx.plan.nodes.map((n) => n.name);
}

async function until(ctx: TaskContext, ok: () => Promise<boolean>, fail: () => OperationError): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw fail();
    await ctx.sleep(200);
    if (ctx.signal.aborted) throw new OperationError('stopped before the nodes\' freeze');
  }
}

/** Refuses unless the fallback stream runs, both ends: before anything is frozen. */
export const rollbackReady: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const reopened = await reopenAfterKill(ctx);
  const source = await ctx.db('source');
  await until(
    ctx,
    async () => Boolean((await source.query<{ pid: number | null }>('SELECT pid FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL', [f.subscription])).rows[0]?.pid),
    () => new OperationError(`the fallback subscription ${f.subscription} on the source has no running apply worker`, 'Look at the source\'s log (it names why the worker stops); nothing was frozen. Run rollback again once it runs.'),
  );
  // Its walsender on the node must be connected before the node closes: once closed, it could not connect again.
  const node = await ctx.db(f.node);
  await until(
    ctx,
    async () => Boolean((await node.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [f.slot])).rows[0]?.active),
    () => new OperationError(`the fallback slot ${f.slot} on ${f.node} has no walsender connected`, `Look at the source's log for the fallback subscription ${f.subscription}'s connection errors; nothing was frozen.`),
  );
  await refuseSpockDown(ctx);
  const prepared = await nodesPrepared(ctx);
  if (prepared.length) throw new OperationError(`not ready to roll back: ${prepared.join('; ')}`, 'Nothing was frozen. Run rollback again once none is left.');
  for (const n of ctx.plan.nodes) await ctx.nodeServer(n.name);
  await ctx.warmNodeSessions(NODE_SESSIONS);
  return { summary: `fallback subscription ${f.subscription} streams from ${f.node}; no prepared transaction on the nodes${reopened.length ? `; ${reopened.join(', ')} opened again after the rollback that was stopped (frozen again next)` : ''}` };
};

/**
 * On pgEdge the other nodes' writes reach the source only through the
 * fallback node's Spock subscriptions: one not replicating would hold back
 * what its provider wrote, and the rollback would switch without it.
 */
async function refuseSpockDown(ctx: TaskContext): Promise<void> {
  const down: string[] = [];
  for (const n of ctx.plan.nodes.filter((x) => x.kind === 'pgedge')) {
    for (const s of (await readSpockSubscriptions(await ctx.db(n.name))) ?? []) if (s.status !== 'replicating') down.push(`${s.name} on ${n.name} (from ${s.provider}) is ${s.status}`);
  }
  if (down.length) throw new OperationError(`not ready to roll back: the Spock subscription ${down.join(', ')}: writes made on its provider would not reach the fallback node, nor the source`, 'Nothing was frozen. Run rollback again once `migrate status` shows every Spock subscription replicating.');
}
