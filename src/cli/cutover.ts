import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { removeDumpDirectory } from '../engine/dump-directory.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { unfreezeSource, restoreApplySync, reopenAfterSwitch } from '../tasks/unfreeze.js';
import { confirm, mayAsk } from './confirm.js';
import { sequenceStrategy } from '../tasks/sync-sequences.js';
import { releaseDumpDirectory } from '../engine/dump-claim.js';
import { readRunIdentity } from '../engine/run-identity.js';
import { unfreezeByHand } from '../render/frozen-source.js';
import { parseConninfo } from '../plan/conninfo.js';
import type { ResolvedPlan } from '../plan/plan.js';
import { dropFallbackStream } from '../pg/fallback-teardown.js';
import { fallbackOf } from '../plan/fallback.js';
import { refuseWhileDdlPending } from './pending-ddl.js';

/** What the cutover is about to do, for the operator to confirm. */
function cutoverActions(plan: ResolvedPlan): string[] {
  const nodes = plan.nodes.map((n) => n.name).join(', ');
  const db = parseConninfo(plan.source.dsn).dbname ?? 'the source database';
  return [
    `check that ${nodes} stream and are at most ${plan.cutover.max_lag_bytes} bytes behind`,
    plan.cutover.freeze === 'hook' ? 'freeze writes on the source with freeze_hook' : `freeze writes on the source: ${db} closed to new connections and read-only, every other session of it ended`,
    `wait until ${nodes} have applied everything, set their sequences (${sequenceStrategy(plan)}), compare ${plan.cutover.check === 'full' ? 'every row' : 'row counts'} with the frozen source`,
    plan.cutover.switch_hook ? 'run switch_hook: from then on writes go to the nodes' : 'switch: redirect the application to the nodes yourself (no switch_hook)',
    'drop the subscriptions, slots and publications, analyze the nodes, remove the dump; the source stays read-only',
  ];
}

/** `migrate cutover PLAN`: freeze, drain, sequences, check, switch, clean up. Returns the exit code. */
export async function cutoverCommand(file: string, opts: { stateDir?: string; yes?: boolean; takeOver?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
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
  // The first freeze of a cutover started over, kept for the report once a failure has ended the downtime.
  let downtimeSince: string | undefined;
  let attempts: number | undefined;
  let unfrozenAt: string | undefined;
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
        const undone = await unfreezeSource(loaded, journal, redactor, journal.path.replace(/journal\.json$/, ''), 'restart');
        unfrozenAt = new Date().toISOString();
        err(`${undone.join('; ')}\n`);
      }
      const reopened = await reopenAfterSwitch(loaded, journal);
      if (reopened) err(`A previous cutover stopped after its switch: ${reopened}.\n`);
      // Before this cutover freezes or converts anything: the nodes lack what the guard recorded.
      if (!journal.facts.switched_at) await refuseWhileDdlPending(loaded.plan, file);
    },
    // Before the switch, a cutover is all or nothing: a rerun starts it over.
    redo: (tasks, journal) => (journal.facts.switched_at ? [] : tasks.map((t) => t.id)),
    onFailure: async ({ journal, redactor, warn }) => {
      if (journal.facts.switched_at) {
        await reopenAfterSwitch(loaded, journal).catch((e) => warn(`!! the source database is still closed to new connections: ${redactor.redact((e as Error).message)}. Run \`migrate cutover ${file}\` again (it opens it first).`));
        return;
      }
      await restoreApplySync(loaded, journal).catch((e) => warn(`could not set the subscriptions' synchronous_commit back: ${redactor.redact((e as Error).message)}`));
      // A fallback slot left on the node would hold its WAL until the next cutover (which makes it anew).
      // Once the source is open again: its subscription is dropped from a new session.
      const dropFallback = async () => {
        if (!fallbackOf(loaded.plan)) return;
        await dropFallbackStream(loaded.plan).then(() => {
          delete journal.facts.fallback;
          journal.save();
        }, (e) => warn(`!! the fallback stream could not be removed: ${redactor.redact((e as Error).message)}. Run \`migrate abort ${file}\`.`));
      };
      downtimeSince = journal.facts.downtime_since;
      attempts = journal.facts.freeze_attempts;
      if (!journal.facts.freeze) {
        // Nothing frozen now (a restart's unfreeze, or a failure before the freeze): the downtime, if any, is over.
        await unfreezeSource(loaded, journal, redactor, '', 'called-off');
        await dropFallback();
        return;
      }
      try {
        unfrozeAfterFailure = await unfreezeSource(loaded, journal, redactor, journal.path.replace(/journal\.json$/, ''));
        unfrozenAt = new Date().toISOString();
      } catch (e) {
        const db = journal.facts.freeze?.database ?? journal.facts.source_database ?? '<database>';
        warn(`!! the source could NOT be unfrozen: ${(e as Error).message}. Run \`migrate abort ${file}\`, or by hand, in psql connected to another database of the source's server (psql -d postgres: the frozen database may take no connection): ${unfreezeByHand(db)}`);
      }
      await dropFallback();
    },
    after: async ({ journal, report, records }) => {
      const f = journal.facts;
      const freezeTask = records.find((r) => r.id === 'freeze');
      // From the first freeze that was not called off, across cutovers started over after a kill.
      const started = f.downtime_since ?? downtimeSince ?? f.freeze?.frozen_at ?? freezeTask?.started_at;
      const switchedAt = f.switched_at;
      const end = switchedAt ?? (started && unfrozenAt && unfrozenAt > started ? unfrozenAt : undefined);
      const cutover = {
        write_downtime_ms: started && end ? new Date(end).getTime() - new Date(started).getTime() : null,
        freeze_started_at: started ?? null,
        freeze_ended_at: end ?? null,
        freeze_attempts: f.freeze_attempts ?? attempts ?? (started ? 1 : 0),
        downtime_note: downtimeNote(Boolean(switchedAt), Boolean(loaded.plan.cutover.switch_hook), f.freeze_attempts ?? attempts ?? 1),
        frozen_lsn: f.frozen_lsn ?? null,
        switched_at: switchedAt ?? null,
        source_left: switchedAt ? 'read-only (writes now go to the nodes)' : unfrozeAfterFailure.length ? 'writable again (cutover called off)' : 'unchanged',
        steps: Object.fromEntries(records.filter((r) => r.duration_ms !== undefined).map((r) => [r.id, r.duration_ms])),
      };
      report.cutover = cutover;
      if (report.status === 'succeeded' && report.outcome === 'completed') {
        out(`Writes were frozen for ${cutover.write_downtime_ms} ms (from the ${cutover.freeze_attempts > 1 ? `first of ${cutover.freeze_attempts} freezes` : 'freeze'} to the switch). The source stays read-only.\n`);
        if (cutover.downtime_note && !loaded.plan.cutover.switch_hook) out(`${cutover.downtime_note}\n`);
        // The data lives on the nodes now; a copy of it lying around is only a risk.
        // With a fallback stream it stays until finalize: after a rollback, abort --drop-data reads from it what to drop on the nodes.
        if (fallbackOf(loaded.plan)) out(`The dump directory stays until \`migrate finalize ${file}\` (or \`migrate abort\` after a rollback) removes it.\n`);
        else {
          const removed = removeDumpDirectory(planDumpDir(loaded, planStateDir(loaded, opts.stateDir)));
          if (removed) out(`${'removed' in removed ? `removed ${removed.removed}` : removed.kept}\n`);
        }
        // The dump is of no more use to this run: another may have the directory.
        const state = planStateDir(loaded, opts.stateDir);
        releaseDumpDirectory(planDumpDir(loaded, state), readRunIdentity(state), state);
      }
    },
    nextSteps: () =>
      unfrozeAfterFailure.length
        ? `The source is writable again and the slots keep every change for the nodes: nothing was lost. Fix the cause and run \`migrate cutover ${file}\` again.`
        : `Run \`migrate cutover ${file}\` again to finish; \`migrate status ${file}\` shows where replication stands.`,
  });
  return result.exitCode;
}

/** What the downtime figure does not show, said in the report. */
function downtimeNote(switched: boolean, hasSwitchHook: boolean, attempts: number): string | null {
  const notes: string[] = [];
  if (attempts > 1) notes.push(`Measured from the first of ${attempts} freezes: the cutovers before were stopped while writes were frozen, and each was started over.`);
  if (switched && !hasSwitchHook) notes.push('No switch_hook: the measurement ends at a switch step that did nothing. Writes stay frozen until the application is pointed at the nodes by hand, which this figure does not include.');
  return notes.length ? notes.join(' ') : null;
}
