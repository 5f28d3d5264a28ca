import type { TaskRunner, TaskContext } from './context.js';
import { publishedTables, rowCounts, tableLabel, type PublishedTable } from '../pg/row-counts.js';
import { OperationError } from '../errors.js';
import { checkFence } from './fence.js';

const SOURCE_COUNTS = 'source-row-counts';

/**
 * The frozen source is counted once per run, however many nodes compare
 * against it, on the cutover's own source session (the frozen database takes
 * no new connection), which outlives every node's task: tied to the first
 * node's, a failure of that node would fail every other node's check too.
 */
function sourceCounts(ctx: TaskContext, tables: PublishedTable[]): Promise<Map<string, bigint>> {
  let held = ctx.shared.get(SOURCE_COUNTS) as { close(): Promise<void>; counts: Promise<Map<string, bigint>> } | undefined;
  if (!held) {
    const counts = ctx.db('source').then((c) => rowCounts(c, tables));
    counts.catch(() => undefined);
    held = { close: async () => undefined, counts };
    ctx.shared.set(SOURCE_COUNTS, held);
  }
  return held.counts;
}

export const quickCheck: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const node = ctx.spec.node!;
  const r = plan.replication.find((x) => x.node === node)!;
  if (plan.cutover.check === 'full') {
    const { verifyNode } = await import('../verify/verify-node.js');
    const result = await verifyNode(ctx, node);
    if (!result.equal && plan.cutover.freeze !== 'hook') await checkFence(ctx);
    if (!result.equal) throw new OperationError(`${node} differs from the frozen source: ${result.summary}`);
    return { summary: result.summary };
  }
  const tables = await publishedTables(await ctx.db('source'), r.publication);
  const [src, dst] = await Promise.all([sourceCounts(ctx, tables), ctx.db(node).then((c) => rowCounts(c, tables))]);
  const diffs = tables.map(tableLabel).filter((t) => src.get(t) !== dst.get(t)).map((t) => `${t} (source ${src.get(t)}, ${node} ${dst.get(t)})`);
  // A writer that got past the freeze is the likeliest cause: named if it is still connected.
  if (diffs.length && plan.cutover.freeze !== 'hook') await checkFence(ctx);
  if (diffs.length) throw new OperationError(`row counts differ on ${node}: ${diffs.slice(0, 5).join(', ')}${diffs.length > 5 ? ` and ${diffs.length - 5} more` : ''}`, 'The source will be unfrozen; replication keeps running. Run `migrate verify` to find the rows.');
  return { summary: `${tables.length} tables, counts equal` };
};
