// The cutover's full check (cutover.check: full): one node against the frozen
// source, with the same engine as `migrate verify`.
import type { TaskContext } from '../tasks/context.js';
import { verifyNodes } from './verify-nodes.js';
import { summarizeNode } from './format.js';

/** Sessions per database for the cutover's full check. */
export const FULL_CHECK_SESSIONS = 4;

export async function verifyNode(ctx: TaskContext, node: string): Promise<{ equal: boolean; summary: string }> {
  const { plan } = ctx;
  const r = plan.replication.find((x) => x.node === node)!;
  const n = plan.nodes.find((x) => x.name === node)!;
  // The builtin freeze closes the source database to new connections: its
  // sessions were opened at the readiness check (FULL_CHECK_SESSIONS per node).
  const result = await verifyNodes(plan.source.dsn, [{ node, dsn: n.dsn, publication: r.publication }], {
    jobs: FULL_CHECK_SESSIONS,
    openSource: () => ctx.ownSourceSession(),
    signal: ctx.signal,
    progress: ctx.progress,
    // Writes are frozen and the node has applied the frozen position (drain):
    // a difference now is real, and waiting for it to settle only lengthens the freeze.
    recheckDelaysMs: [],
  });
  return { equal: result.equal, summary: summarizeNode(result.nodes[0]) };
}
