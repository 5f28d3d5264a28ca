// `migrate ddl --dry-run`: the change's steps in the order they run, with the
// SQL of each, as `migrate plan` prints a stage (secrets redacted).
import type { ResolvedPlan } from '../plan/plan.js';
import { waves, type TaskGraph } from '../plan/graph.js';
import type { DdlStatement } from '../ddl/classify.js';
import { describeTask, type DescribeContext } from './describe.js';
import { stepBody, stepHeading, stepText } from './steps.js';

export function renderDdlText(plan: ResolvedPlan, change: { id: string; statements: DdlStatement[] }, graph: TaskGraph, ctx: Omit<DescribeContext, 'plan' | 'reveal'>): string {
  const out: string[] = [];
  out.push(`== migrate ddl: change ${change.id}, ${change.statements.length} statement${change.statements.length === 1 ? '' : 's'}, ${graph.tasks.length} steps ==`);
  for (const st of change.statements) {
    const order = st.kind === 'additive' ? 'on every node first, then on the source' : 'on the source first, then, once every node has confirmed a source position after it, on the nodes';
    out.push(`  ${st.n}. ${st.action} (${st.kind}: ${order}): ${st.sql.replace(/\s+/g, ' ')}`);
  }
  waves(graph).forEach((wave, i) => {
    out.push('', `-- wave ${i + 1}${wave.length > 1 ? ` (${wave.length} steps at once: ${wave.map((t) => t.id).join(', ')})` : ''}`);
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
      if (d.check) {
        out.push(`    Check: ${d.check.text}`);
        if (d.check.sql) out.push(...d.check.sql.split('\n').map((l) => `      ${l}`));
      }
    }
  });
  return out.join('\n') + '\n';
}
