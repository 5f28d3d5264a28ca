// The coverage of every node of a plan, for `status` and `verify`: one
// connection to the source, one to each node, read at once.
import type { ResolvedPlan, ReplicationSet } from '../plan/plan.js';
import { connect, pgErrorText } from '../pg/connect.js';
import { readCoverageFacts } from '../pg/subscription-coverage.js';
import { readRecordedDdl } from '../pg/ddl-log.js';
import { judgeCoverage, type CoverageTarget, type NodeCoverage } from './coverage-gaps.js';

export function coverageTarget(plan: ResolvedPlan, r: ReplicationSet): CoverageTarget {
  const n = plan.nodes.find((x) => x.name === r.node)!;
  return { node: r.node, subscription: r.subscription, publication: r.publication, kind: n.kind, replication_set: n.replication_set };
}

/** `planFile`, as the user named it, goes into the `migrate ddl` commands of the fixes. */
export async function planCoverage(plan: ResolvedPlan, sets: ReplicationSet[], planFile?: string): Promise<NodeCoverage[]> {
  const targets = sets.map((r) => coverageTarget(plan, r));
  const failed = (t: CoverageTarget, e: unknown): NodeCoverage => ({ node: t.node, subscription: t.subscription, publication: t.publication, gaps: [], fix: [], error: pgErrorText(e) });
  let source;
  try {
    source = await connect(plan.source.dsn, 'the source');
  } catch (e) {
    return targets.map((t) => failed(t, e));
  }
  try {
    // Node after node on one source session: a few catalog queries each.
    const out: NodeCoverage[] = [];
    // What the guard recorded and no `migrate ddl` brought to the nodes yet (undefined without the guard).
    const recorded = await readRecordedDdl(source, { pendingOnly: true }).catch(() => undefined);
    for (const t of targets) {
      const dsn = plan.nodes.find((x) => x.name === t.node)!.dsn;
      try {
        const node = await connect(dsn, `node ${t.node}`);
        try {
          out.push(judgeCoverage(t, await readCoverageFacts(source, node, t.publication, t.subscription), { plan_file: planFile, recorded }));
        } finally {
          await node.end().catch(() => undefined);
        }
      } catch (e) {
        out.push(failed(t, e));
      }
    }
    return out;
  } finally {
    await source.end().catch(() => undefined);
  }
}
