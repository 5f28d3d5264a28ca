// Checks of one target node: can it take the restore and run its subscription,
// and can it reach the source the way its subscription will. Read-only: the
// reachability test goes through dblink where present, never a subscription.
// The rules are in rules/node.*.ts.
import { pgErrorText } from '../pg/connect.js';
import type { CheckContext, SourceFacts } from './context.js';
import type { NodeFacts, NodeTarget } from './facts.js';
import type { Finding } from './finding.js';
import { judge, toFinding } from './judge.js';
import { NODE_RULES } from './registry.js';
import { withCheckSession } from './session.js';
import { readNodeFacts } from './read/node-catalog.js';
import { rule as reachable, unreachable } from './rules/node.reachable.js';

/** Every rule of one node; an unreachable node is one error finding. */
export async function checkNode(ctx: CheckContext, node: NodeTarget, source: SourceFacts | undefined): Promise<Finding[]> {
  let facts: NodeFacts;
  try {
    facts = await withCheckSession(node.dsn, `node ${node.name}`, (c) => readNodeFacts(c, ctx, node, source));
  } catch (e) {
    return [toFinding(reachable.id, node.name, unreachable(pgErrorText(e), node.name))];
  }
  return judge(NODE_RULES, facts, ctx, node.name);
}
