// `migrate ddl --dry-run`: the change's steps in the order they run, with the
// SQL of each, as `migrate plan` prints a stage (secrets redacted).
import type { ResolvedPlan } from '../plan/plan.js';
import type { TaskGraph } from '../plan/graph.js';
import type { DdlStatement } from '../ddl/classify.js';
import type { DescribeContext } from './describe.js';
import { graphLines } from './plan-text.js';

export function renderDdlText(plan: ResolvedPlan, change: { id: string; statements: DdlStatement[] }, graph: TaskGraph, ctx: Omit<DescribeContext, 'plan' | 'reveal'>): string {
  const out: string[] = [];
  out.push(`== migrate ddl: change ${change.id}, ${change.statements.length} statement${change.statements.length === 1 ? '' : 's'}, ${graph.tasks.length} steps ==`);
  for (const st of change.statements) {
    const order = st.kind === 'additive' ? 'on every node first, then on the source' : 'on the source first, then, once every node has confirmed a source position after it, on the nodes';
    out.push(`  ${st.n}. ${st.action} (${st.kind}: ${order}): ${st.sql.replace(/\s+/g, ' ')}`);
  }
  out.push(...graphLines(plan, graph, ctx, { noun: 'steps', checks: true }));
  return out.join('\n') + '\n';
}
