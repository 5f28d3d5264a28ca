// The cutover's full check (cutover.check: full): one node against the frozen
// source, with the same engine as `migrate verify`.
import type { TaskContext } from '../tasks/context.js';
import { verifyNodes } from './verify-nodes.js';
import { summarizeNode } from './format.js';
import { addLargeObjects } from './large-objects.js';
import { dumpCarriesLargeObjects } from '../pg/large-objects.js';

export async function verifyNode(ctx: TaskContext, node: string): Promise<{ equal: boolean; summary: string }> {
  const { plan } = ctx;
  const r = plan.replication.find((x) => x.node === node)!;
  const n = plan.nodes.find((x) => x.name === node)!;
  const targets = [{ node, dsn: n.dsn, publication: r.publication }];
  const result = await verifyNodes(plan.source.dsn, targets, {
    signal: ctx.signal,
    progress: ctx.progress,
    // Writes are frozen and the node has applied the frozen position (drain):
    // a difference now is real, and waiting for it to settle only lengthens the freeze.
    recheckDelaysMs: [],
  });
  if (dumpCarriesLargeObjects(plan)) await addLargeObjects(result, plan.source.dsn, targets);
  return { equal: result.equal, summary: summarizeNode(result.nodes[0]) };
}
