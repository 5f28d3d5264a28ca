import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { unfreezeSource, restoreApplySync } from '../tasks/unfreeze.js';
import { stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { releaseDumpDirectory } from '../engine/dump-claim.js';
import { readRunIdentity } from '../engine/run-identity.js';
import { unfreezeByHand } from '../render/frozen-source.js';

/** `migrate cutover PLAN`: freeze, drain, sequences, check, switch, clean up. Returns the exit code. */
export async function cutoverCommand(file: string, opts: { stateDir?: string; takeOver?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  let unfrozeAfterFailure: string[] = [];
  const result = await runStage(loaded, 'cutover', {
    stateDir: opts.stateDir,
    takeOver: opts.takeOver,
    out,
    err,
    before: async ({ journal, redactor }) => {
      // A cutover cut off before its switch is started over from a clean state.
      if (!journal.facts.switched_at) await restoreApplySync(loaded, journal);
      if (journal.facts.freeze && !journal.facts.switched_at) {
        err('A previous cutover stopped while writes were frozen: unfreezing the source before starting again.\n');
        const undone = await unfreezeSource(loaded, journal, redactor, journal.path.replace(/journal\.json$/, ''));
        err(`${undone.join('; ')}\n`);
      }
    },
    // Before the switch, a cutover is all or nothing: a rerun starts it over.
    redo: (tasks, journal) => (journal.facts.switched_at ? [] : tasks.map((t) => t.id)),
    onFailure: async ({ journal, redactor, warn }) => {
      if (journal.facts.switched_at) return;
      await restoreApplySync(loaded, journal).catch((e) => warn(`could not set the subscriptions' synchronous_commit back: ${redactor.redact((e as Error).message)}`));
      if (!journal.facts.freeze) return;
      try {
        unfrozeAfterFailure = await unfreezeSource(loaded, journal, redactor, journal.path.replace(/journal\.json$/, ''));
      } catch (e) {
        const db = journal.facts.freeze?.database ?? journal.facts.source_database ?? '<database>';
        warn(`!! the source could NOT be unfrozen: ${(e as Error).message}. Run \`migrate abort ${file}\`, or by hand, in psql connected to the source: ${unfreezeByHand(db)}`);
      }
    },
    after: async ({ journal, report, records }) => {
      const f = journal.facts;
      const freezeTask = records.find((r) => r.id === 'freeze');
      const started = f.freeze?.frozen_at ?? freezeTask?.started_at;
      const switchedAt = f.switched_at;
      const end = switchedAt ?? (unfrozeAfterFailure.length ? report.finished_at : undefined);
      const cutover = {
        write_downtime_ms: started && end ? new Date(end).getTime() - new Date(started).getTime() : null,
        freeze_started_at: started ?? null,
        freeze_ended_at: end ?? null,
        frozen_lsn: f.frozen_lsn ?? null,
        switched_at: switchedAt ?? null,
        source_left: switchedAt ? 'read-only (writes now go to the nodes)' : unfrozeAfterFailure.length ? 'writable again (cutover called off)' : 'unchanged',
        steps: Object.fromEntries(records.filter((r) => r.duration_ms !== undefined).map((r) => [r.id, r.duration_ms])),
      };
      report.cutover = cutover;
      if (report.status === 'succeeded' && report.outcome === 'completed') {
        // The dump is of no more use to this run: another may have the directory.
        const state = planStateDir(loaded, opts.stateDir);
        releaseDumpDirectory(planDumpDir(loaded, state), readRunIdentity(state), state);
        out(`Writes were frozen for ${cutover.write_downtime_ms} ms (from the freeze to the switch). The source stays read-only.\n`);
      }
    },
    nextSteps: () =>
      unfrozeAfterFailure.length
        ? `The source is writable again and replication keeps running: nothing was lost. Fix the cause and run \`migrate cutover ${file}\` again.`
        : `Run \`migrate cutover ${file}\` again to finish; \`migrate status ${file}\` shows where replication stands.`,
  });
  return result.exitCode;
}
