import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';

/** `migrate validate PLAN`: every problem at once, or "ok". Throws PlanInvalidError. */
export function validateCommand(file: string, out: (s: string) => void): void {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) out(formatProblem(w) + '\n');
  out(`${loaded.file}: ok (${loaded.plan.nodes.length} node${loaded.plan.nodes.length === 1 ? '' : 's'}, ${loaded.plan.replication.length} replication set${loaded.plan.replication.length === 1 ? '' : 's'}${loaded.warnings.length ? `, ${loaded.warnings.length} warning${loaded.warnings.length === 1 ? '' : 's'}` : ''})\n`);
}
