import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { withClient } from '../pg/connect.js';
import { readSlots } from '../pg/replication-state.js';
import type { Journal } from '../engine/journal.js';
import type { ResolvedPlan } from '../plan/plan.js';
import { runChecks } from '../check/run-checks.js';
import { formatTable, hasErrors } from '../check/finding.js';
import { OperationError } from '../errors.js';
import { ensureApplyCanRun } from '../engine/apply-readiness.js';
import { stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';

export interface ApplyOptions {
  stateDir?: string;
  skipCheck?: string[];
  takeOver?: boolean;
}

/** Slots this plan has (or may have) created: they hold WAL on the source until consumed or dropped. */
export function slotsAtRisk(plan: ResolvedPlan, journal: Journal): string[] {
  return plan.replication.filter((r) => journal.data.tasks[`slot:${r.node}`]).map((r) => r.slot);
}

/** `migrate apply PLAN`: returns the exit code. */
export async function applyCommand(file: string, opts: ApplyOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  let journalRef: Journal | undefined;
  const result = await runStage(loaded, 'apply', {
    stateDir: opts.stateDir,
    takeOver: opts.takeOver,
    out,
    err,
    before: async ({ journal, redactor }) => {
      journalRef = journal;
      if (journal.facts.rolled_back_at) throw new OperationError(`this migration was rolled back to the source at ${journal.facts.rolled_back_at}: the nodes hold its stale data and stay frozen; nothing was changed`, `Run \`migrate abort ${file} --drop-data\` (it empties the nodes and removes the journal), then \`migrate apply ${file}\` again.`);
      // A fresh apply is preceded by the preflight; a resumed one is not: what
      // it would flag (the plan's own slots, restored tables) is its own work.
      if (Object.keys(journal.data.tasks).length) return ensureApplyCanRun(loaded, journal, planDumpDir(loaded, planStateDir(loaded, opts.stateDir)));
      const findings = await runChecks(loaded, { skip: opts.skipCheck, stateDir: opts.stateDir, preflight: true });
      const shown = findings.filter((f) => f.severity !== 'info');
      if (shown.length) err(redactor.redact(formatTable(shown, 'preflight (migrate check)')));
      if (hasErrors(findings)) {
        const n = findings.filter((f) => f.severity === 'error').length;
        throw new OperationError(`the preflight found ${n} error${n === 1 ? '' : 's'}; nothing was changed`, 'Fix them (each says how), or, having judged one, pass --skip-check NAME.');
      }
      await ensureApplyCanRun(loaded, journal, planDumpDir(loaded, planStateDir(loaded, opts.stateDir)));
    },
    after: async ({ report }) => {
      report.lag = await withClient(loaded.plan.source.dsn, 'the source', async (c) => {
        const states = await readSlots(c, loaded.plan.replication.map((r) => r.slot), null);
        return states.map((s) => ({ node: loaded.plan.replication.find((r) => r.slot === s.slot_name)!.node, slot: s.slot_name, lag_bytes: s.lag_bytes, retained_bytes: s.retained_bytes }));
      });
    },
    nextSteps: (outcome) => {
      const slots = journalRef ? slotsAtRisk(loaded.plan, journalRef) : [];
      const resume = `Run \`migrate apply ${file}\` to resume where this stopped, or \`migrate abort ${file}\` to remove everything it created.`;
      if (!slots.length) return `${outcome === 'interrupted' ? 'Stopped' : 'Failed'} before any slot was created: the source is as it was. ${resume}`;
      return `!! The slots ${slots.join(', ')} stay on the source and hold WAL there until this migration resumes or is aborted: left alone they fill its disk. ${resume}`;
    },
  });
  return result.exitCode;
}
