import type pg from 'pg';
import type { TaskRunner, TaskContext } from './context.js';
import { publishedTables, rowCounts, tableLabel, type PublishedTable } from '../pg/row-counts.js';
import { OperationError } from '../errors.js';
import { withClient } from '../pg/connect.js';
import { readLargeObjects, compareLargeObjects, describeLargeObjectDifferences, dumpCarriesLargeObjects, type LargeObjectDigest } from '../pg/large-objects.js';

const SOURCE_COUNTS = 'source-row-counts';
const SOURCE_LARGE_OBJECTS = 'source-large-objects';

/**
 * The frozen source is counted once per run, however many nodes compare
 * against it, on a connection of its own: tied to the first node's task, a
 * failure of that node would fail every other node's check too.
 */
function readSourceOnce<T>(ctx: TaskContext, key: string, read: (c: pg.Client) => Promise<T>): Promise<T> {
  let held = ctx.shared.get(key) as { close(): Promise<void>; value: Promise<T> } | undefined;
  if (!held) {
    const value = withClient(ctx.plan.source.dsn, 'the source', read);
    value.catch(() => undefined);
    held = { close: async () => undefined, value };
    ctx.shared.set(key, held);
  }
  return held.value;
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

const LARGE_OBJECT_HINT = 'The source will be unfrozen; replication keeps running. Large objects are not replicated: copy those named from the source to every node (lo_get there, lo_from_bytea or lo_put on the node), then run `migrate verify` and the cutover again.';

export const quickCheck: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const node = ctx.spec.node!;
  const r = plan.replication.find((x) => x.node === node)!;
  if (plan.cutover.check === 'full') {
    const { verifyNode } = await import('../verify/verify-node.js');
    const result = await verifyNode(ctx, node);
    if (!result.equal) throw new OperationError(`${node} differs from the frozen source: ${result.summary}`);
    return { summary: result.summary };
  }
  // Read alongside the counts: every millisecond here is one of the freeze.
  const largeObjects = largeObjectProblem(ctx, node);
  largeObjects.catch(() => undefined);
  const tables = await publishedTables(await ctx.db('source'), r.publication);
  const [src, dst] = await Promise.all([sourceCounts(ctx, tables), ctx.db(node).then((c) => rowCounts(c, tables))]);
  const diffs = tables.map(tableLabel).filter((t) => src.get(t) !== dst.get(t)).map((t) => `${t} (source ${src.get(t)}, ${node} ${dst.get(t)})`);
  if (diffs.length) throw new OperationError(`row counts differ on ${node}: ${diffs.slice(0, 5).join(', ')}${diffs.length > 5 ? ` and ${diffs.length - 5} more` : ''}`, 'The source will be unfrozen; replication keeps running. Run `migrate verify` to find the rows.');
  const lo = await largeObjects;
  if (lo) throw new OperationError(`${node} differs from the frozen source in its ${lo}`, LARGE_OBJECT_HINT);
  return { summary: `${tables.length} tables, counts equal${dumpCarriesLargeObjects(plan) ? ', large objects equal' : ''}` };
};
