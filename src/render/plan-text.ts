// `migrate plan`: the task graph in execution order, which tasks run together,
// and the exact SQL and commands of each, secrets redacted.
import type { ResolvedPlan } from '../plan/plan.js';
import { buildGraph, waves, type Stage } from '../plan/graph.js';
import { describeTask, type DescribeContext } from './describe.js';
import { stepBody, stepHeading, stepText } from './steps.js';

export function renderPlanText(plan: ResolvedPlan, ctx: Omit<DescribeContext, 'plan' | 'reveal'>): string {
  const out: string[] = [];
  out.push(`Plan ${plan.name}: the source onto ${plan.nodes.map((n) => `${n.name} (${n.kind})`).join(', ')}`);
  for (const stage of ['apply', 'cutover'] as Stage[]) {
    const graph = buildGraph(plan, stage);
    const ws = waves(graph);
    out.push('', `== migrate ${stage}: ${graph.tasks.length} tasks in ${ws.length} waves (tasks in one wave run at the same time) ==`);
    ws.forEach((wave, i) => {
      out.push('', `-- wave ${i + 1}${wave.length > 1 ? ` (${wave.length} tasks at once: ${wave.map((t) => t.id).join(', ')})` : ''}`);
      for (const t of wave) {
        out.push('', `[${t.id}] ${t.title}`, `    after: ${t.deps.length ? t.deps.join(', ') : '(start)'}`);
        const d = describeTask(t, { ...ctx, plan, reveal: false });
        for (const s of d.steps) {
          out.push(`    ${stepHeading(plan, s)}:`);
          const body = stepBody(s);
          if (body) out.push(...body.text.split('\n').map((l) => `      ${l}`));
          const note = stepText(s);
          if (note) out.push(`      -- ${note}`);
        }
      }
    });
  }
  return out.join('\n') + '\n';
}
