import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { removeDumpDirectory } from '../engine/dump-dir.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { unfreezeSource, restoreApplySync } from '../tasks/unfreeze.js';
import { confirm, mayAsk } from './confirm.js';
import { sequenceStrategy } from '../tasks/sync-sequences.js';
import { parseConninfo } from '../plan/conninfo.js';
import type { ResolvedPlan } from '../plan/plan.js';

/** What the cutover is about to do, for the operator to confirm. */
function cutoverActions(plan: ResolvedPlan): string[] {
  const nodes = plan.nodes.map((n) => n.name).join(', ');
  const db = parseConninfo(plan.source.dsn).dbname ?? 'the source database';
  return [
    `check that ${nodes} stream and are at most ${plan.cutover.max_lag_bytes} bytes behind`,
    plan.cutover.freeze === 'hook' ? 'freeze writes on the source with freeze_hook' : `freeze writes on the source: ${db} read-only, every other session of it ended`,
    `wait until ${nodes} have applied everything, set their sequences (${sequenceStrategy(plan)}), compare ${plan.cutover.check === 'full' ? 'every row' : 'row counts'} with the frozen source`,
    plan.cutover.switch_hook ? 'run switch_hook: from then on writes go to the nodes' : 'switch: redirect the application to the nodes yourself (no switch_hook)',
    'drop the subscriptions, slots and publications, analyze the nodes, remove the dump; the source stays read-only',
  ];
}

/** `migrate cutover PLAN`: freeze, drain, sequences, check, switch, clean up. Returns the exit code. */
export async function cutoverCommand(file: string, opts: { stateDir?: string; yes?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  if (mayAsk(opts)) {
    out(`migrate cutover ${file} will:\n`);
    if (!(await confirm(cutoverActions(loaded.plan), 'Cut over now?', out))) {
      err('Not cut over: nothing was changed.\n');
      return 1;
    }
  }
  let unfrozeAfterFailure: string[] = [];
  const result = await runStage(loaded, 'cutover', {
    stateDir: opts.stateDir,
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
        warn(`!! the source could NOT be unfrozen: ${(e as Error).message}. Run \`migrate abort ${file}\` or reset default_transaction_read_only on the database by hand.`);
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
        out(`Writes were frozen for ${cutover.write_downtime_ms} ms (from the freeze to the switch). The source stays read-only.\n`);
        // The data lives on the nodes now; a copy of it lying around is only a risk.
        const removed = removeDumpDirectory(planDumpDir(loaded, planStateDir(loaded, opts.stateDir)));
        if (removed) out(`${'removed' in removed ? `removed ${removed.removed}` : removed.kept}\n`);
      }
    },
    nextSteps: () =>
      unfrozeAfterFailure.length
        ? `The source is writable again and replication keeps running: nothing was lost. Fix the cause and run \`migrate cutover ${file}\` again.`
        : `Run \`migrate cutover ${file}\` again to finish; \`migrate status ${file}\` shows where replication stands.`,
  });
  return result.exitCode;
}
