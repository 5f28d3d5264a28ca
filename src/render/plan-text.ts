// `migrate plan`: the task graph in execution order, which tasks run together,
// and the exact SQL and commands of each, secrets redacted.
import type { ResolvedPlan } from '../plan/plan.js';
import { buildGraph, waves, type Stage, type TaskGraph } from '../plan/graph.js';
import { describeTask, type DescribeContext } from './describe.js';
import { stepBody, stepHeading, stepText } from './steps.js';

export function renderPlanText(plan: ResolvedPlan, ctx: Omit<DescribeContext, 'plan' | 'reveal'>): string {
  const out: string[] = [];
  out.push(`Plan ${plan.name}: the source onto ${plan.nodes.map((n) => `${n.name} (${n.kind})`).join(', ')}`);
  for (const stage of ['apply', 'cutover'] as Stage[]) {
    const graph = buildGraph(plan, stage);
    out.push('', `== migrate ${stage}: ${graph.tasks.length} tasks in ${waves(graph).length} waves (tasks in one wave run at the same time) ==`);
    out.push(...graphLines(plan, graph, ctx, { noun: 'tasks', checks: false }));
  }
  return out.join('\n') + '\n';
}

/** Each wave of a graph, and each task's steps with their SQL and commands, secrets redacted. */
export function graphLines(plan: ResolvedPlan, graph: TaskGraph, ctx: Omit<DescribeContext, 'plan' | 'reveal'>, opts: { noun: string; checks: boolean }): string[] {
  const out: string[] = [];
  waves(graph).forEach((wave, i) => {
    out.push('', `-- wave ${i + 1}${wave.length > 1 ? ` (${wave.length} ${opts.noun} at once: ${wave.map((t) => t.id).join(', ')})` : ''}`);
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
      if (opts.checks && d.check) {
        out.push(`    Check: ${d.check.text}`);
        if (d.check.sql) out.push(...d.check.sql.split('\n').map((l) => `      ${l}`));
      }
    }
  });
  return out;
}
