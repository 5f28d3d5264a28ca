import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { removeDumpDirectory } from '../engine/dump-directory.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';

/** `migrate finalize PLAN`: the point of no return after a cutover with fallback. Returns the exit code. */
export async function finalizeCommand(file: string, opts: { stateDir?: string }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const result = await runStage(loaded, 'finalize', {
    stateDir: opts.stateDir,
    out,
    err,
    before: async ({ journal }) => {
      const f = journal.facts;
      if (journal.data.completed.finalize) return;
      const refusal = !fallbackOf(loaded.plan)
        ? 'the plan has no cutover.fallback (enabled: true): there is nothing to finalize'
        : f.rolled_back_at
          ? `writes were rolled back to the source at ${f.rolled_back_at}: the nodes are stale`
          : !f.switched_at
            ? 'the cutover has not switched writes to the nodes yet'
            : undefined;
      if (refusal) throw new OperationError(`finalize refused: ${refusal}.`, 'Nothing was changed.');
    },
    after: async ({ report }) => {
      if (report.status !== 'succeeded' || report.outcome !== 'completed') return;
      out(`The fallback stream is gone: \`migrate rollback ${file}\` is no longer possible. The source stays read-only.\n`);
      // The nodes are final: the copy of the data on this machine is only a risk now.
      const removed = removeDumpDirectory(planDumpDir(loaded, planStateDir(loaded, opts.stateDir)));
      if (removed) out(`${'removed' in removed ? `removed ${removed.removed}` : removed.kept}\n`);
    },
    nextSteps: () => `Run \`migrate finalize ${file}\` again to finish.`,
  });
  return result.exitCode;
}
