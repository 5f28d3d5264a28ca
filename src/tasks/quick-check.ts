import type pg from 'pg';
import type { TaskRunner, TaskContext } from './context.js';
import { publishedTables, rowCounts, tableLabel, type PublishedTable } from '../pg/row-counts.js';
import { OperationError } from '../errors.js';
import { checkFence } from './fence.js';
import { readUnsubscribedTables } from '../pg/subscription-coverage.js';
import { quoteName } from '../render/quote.js';
import { readLargeObjects, compareLargeObjects, describeLargeObjectDifferences, dumpCarriesLargeObjects, type LargeObjectDigest } from '../pg/large-objects.js';

const SOURCE_COUNTS = 'source-row-counts';
const SOURCE_LARGE_OBJECTS = 'source-large-objects';

/**
 * The frozen source is counted once per run, however many nodes compare
 * against it, on the cutover's own source session (the frozen database takes
 * no new connection), which outlives every node's task: tied to the first
 * node's, a failure of that node would fail every other node's check too.
 */
function readSourceOnce<T>(ctx: TaskContext, key: string, read: (c: pg.Client) => Promise<T>): Promise<T> {
  let held = ctx.shared.get(key) as { close(): Promise<void>; value: Promise<T> } | undefined;
  if (!held) {
    const value = ctx.db('source').then(read);
    value.catch(() => undefined);
    held = { close: async () => undefined, value };
    ctx.shared.set(key, held);
  }
  return held.value;
}

/**
 * A table created on the source between the readiness check and the freeze
 * is published and unknown to the node's subscription: its changes are
 * discarded there while the counts may still match.
 */
async function unsubscribed(ctx: TaskContext, node: string): Promise<string[]> {
  const r = ctx.plan.replication.find((x) => x.node === node)!;
  const tables = await readUnsubscribedTables(await ctx.db('source'), await ctx.db(node), r.publication, r.subscription);
  return tables.map((t) => quoteName(t.schema, t.name));
}

function sourceCounts(ctx: TaskContext, tables: PublishedTable[]): Promise<Map<string, bigint>> {
  return readSourceOnce(ctx, SOURCE_COUNTS, (c) => rowCounts(c, tables));
}

/** Large objects are not replicated: the frozen source's must all be on the node, unchanged since the snapshot. */
async function largeObjectProblem(ctx: TaskContext, node: string): Promise<string | undefined> {
  if (!dumpCarriesLargeObjects(ctx.plan)) return undefined;
  const [src, dst] = await Promise.all([readSourceOnce<Map<string, LargeObjectDigest>>(ctx, SOURCE_LARGE_OBJECTS, readLargeObjects), ctx.db(node).then(readLargeObjects)]);
  const c = compareLargeObjects(src, dst);
  return c.equal ? undefined : describeLargeObjectDifferences(c);
}

const LARGE_OBJECT_HINT = 'The source will be unfrozen; the slots keep every change for the nodes. Large objects are not replicated: copy those named from the source to every node (lo_get there, lo_from_bytea or lo_put on the node), then run `migrate verify` and the cutover again.';

export const quickCheck: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const node = ctx.spec.node!;
  const r = plan.replication.find((x) => x.node === node)!;
  const missing = await unsubscribed(ctx, node);
  if (missing.length) {
    throw new OperationError(`published tables that subscription ${r.subscription} on ${node} does not know, whose changes ${node} discards: ${missing.join(', ')}`, 'The source will be unfrozen; the slots keep every change for the nodes. `migrate status` prints the fix; then run cutover again.');
  }
  if (plan.cutover.check === 'full') {
    const { verifyNode } = await import('../verify/verify-node.js');
    const result = await verifyNode(ctx, node);
    if (!result.equal && plan.cutover.freeze !== 'hook') await checkFence(ctx);
    if (!result.equal) throw new OperationError(`${node} differs from the frozen source: ${result.summary}`);
    return { summary: result.summary };
  }
  // Read alongside the counts: every millisecond here is one of the freeze.
  const largeObjects = largeObjectProblem(ctx, node);
  largeObjects.catch(() => undefined);
  const tables = await publishedTables(await ctx.db('source'), r.publication);
  const [src, dst] = await Promise.all([sourceCounts(ctx, tables), ctx.db(node).then((c) => rowCounts(c, tables))]);
  const diffs = tables.map(tableLabel).filter((t) => src.get(t) !== dst.get(t)).map((t) => `${t} (source ${src.get(t)}, ${node} ${dst.get(t)})`);
  // A writer that got past the freeze is the likeliest cause: named if it is still connected.
  if (diffs.length && plan.cutover.freeze !== 'hook') await checkFence(ctx);
  if (diffs.length) throw new OperationError(`row counts differ on ${node}: ${diffs.slice(0, 5).join(', ')}${diffs.length > 5 ? ` and ${diffs.length - 5} more` : ''}`, 'The source will be unfrozen; the slots keep every change for the nodes. Run `migrate verify` to find the rows.');
  const lo = await largeObjects;
  if (lo) throw new OperationError(`${node} differs from the frozen source in its ${lo}`, LARGE_OBJECT_HINT);
  return { summary: `${tables.length} tables, counts equal${dumpCarriesLargeObjects(plan) ? ', large objects equal' : ''}` };
};
