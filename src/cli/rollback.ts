import { loadPlan, type LoadedPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';
import type { Journal } from '../engine/journal.js';
import { withClient } from '../pg/connect.js';
import { unfreezeWrites, databaseReadOnlySetting } from '../pg/write-freeze.js';
import { renderSql } from '../render/templates.js';

/** Why rollback cannot run, or nothing. */
export function rollbackRefusal(loaded: LoadedPlan, journal: Journal): string | undefined {
  const f = journal.facts;
  if (!fallbackOf(loaded.plan)) return 'the plan has no cutover.fallback (enabled: true): there is no reverse stream to roll back through';
  if (f.finalized_at) return `the migration was finalized at ${f.finalized_at}: the reverse stream is gone and the source no longer receives the nodes' writes. A rollback now would lose them`;
  if (!f.switched_at) return 'the cutover has not switched writes to the nodes: nothing to roll back (`migrate abort` calls the migration off)';
  if (!f.fallback?.enabled_at) return 'the cutover did not finish setting up the reverse stream: run `migrate cutover` again first';
  return undefined;
}

/** The nodes take writes again: a rollback called off before its switch. */
export async function unfreezeNodes(loaded: LoadedPlan, journal: Journal): Promise<void> {
  const freeze = journal.facts.rollback_freeze;
  if (!freeze) return;
  for (const n of loaded.plan.nodes) {
    await withClient(n.dsn, `node ${n.name}`, async (c) => {
      await c.query(renderSql('writable-session.sql.hbs', {}));
      const { database } = await databaseReadOnlySetting(c);
      await unfreezeWrites(c, { database, read_only_before: freeze.read_only_before[n.name] ?? null });
    });
  }
  delete journal.facts.rollback_freeze;
  journal.save();
}

/** `migrate rollback PLAN`: writes back to the source through the fallback stream. Returns the exit code. */
export async function rollbackCommand(file: string, opts: { stateDir?: string }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  let unfrozeNodes = false;
  const result = await runStage(loaded, 'rollback', {
    stateDir: opts.stateDir,
    out,
    err,
    before: async ({ journal }) => {
      const refusal = rollbackRefusal(loaded, journal);
      if (refusal && !journal.data.completed.rollback) throw new OperationError(`rollback refused: ${refusal}.`, 'Nothing was changed.');
    },
    // Before its switch a rollback is all or nothing, like the cutover.
    redo: (tasks, journal) => (journal.facts.rolled_back_at ? [] : tasks.map((t) => t.id)),
    onFailure: async ({ journal, warn }) => {
      if (journal.facts.rolled_back_at) {
        warn(`!! the application was switched back to the source, but the rollback did not finish. Run \`migrate rollback ${file}\` again.`);
        return;
      }
      try {
        await unfreezeNodes(loaded, journal);
        unfrozeNodes = true;
      } catch (e) {
        warn(`!! the nodes could NOT be unfrozen: ${(e as Error).message}. On each node: ALTER DATABASE ... RESET default_transaction_read_only.`);
      }
    },
    after: async ({ journal, report, records }) => {
      const f = journal.facts;
      const start = f.rollback_freeze?.frozen_at ?? null;
      const end = f.source_unfrozen_at ?? null;
      report.rollback = {
        write_downtime_ms: start && end ? new Date(end).getTime() - new Date(start).getTime() : null,
        freeze_started_at: start,
        freeze_ended_at: end,
        rollback_lsn: f.rollback_lsn ?? null,
        steps: Object.fromEntries(records.filter((r) => r.duration_ms !== undefined).map((r) => [r.id, r.duration_ms!])),
        nodes_left: f.rolled_back_at ? 'frozen (read-only): writes go to the source' : unfrozeNodes ? 'writable again (rollback called off)' : f.rollback_freeze ? 'FROZEN (read-only)' : 'unchanged',
      };
      if (report.status === 'succeeded' && report.outcome === 'completed') {
        out(`Writes were frozen for ${report.rollback.write_downtime_ms} ms (from the nodes' freeze to the source made writable). The source takes writes again.\n`);
        out(`The nodes stay frozen (read-only) and hold data the source now moves past: before \`migrate apply\` again, empty them (\`migrate abort ${file} --drop-data\`).\n`);
      }
    },
    nextSteps: () =>
      unfrozeNodes
        ? `The nodes take writes again and the fallback stream keeps running: nothing was lost. Fix the cause and run \`migrate rollback ${file}\` again.`
        : `Run \`migrate rollback ${file}\` again to finish; \`migrate status ${file}\` shows where things stand.`,
  });
  return result.exitCode;
}
