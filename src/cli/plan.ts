import { loadPlan, stateDir, dumpDir } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { renderPlanText } from '../render/plan-text.js';
import { redactorFor } from '../engine/run-stage.js';

/** `migrate plan PLAN`: the task graph and what each task runs. */
export function planCommand(file: string, opts: { stateDir?: string }, out: (s: string) => void, err: (s: string) => void): void {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  // Rendering shows DSNs redacted and hooks as written; the redactor catches any secret that still got through.
  out(redactorFor(loaded).redact(renderPlanText(loaded.plan, { dumpDir: dumpDir(loaded, stateDir(loaded, opts.stateDir)), facts: {} })));
}
