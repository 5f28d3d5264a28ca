import { loadPlan, type LoadedPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';
import type { Journal } from '../engine/journal.js';
import { withMaintenanceClient } from '../pg/connect.js';
import { unfreezeWrites, openDatabase } from '../pg/write-freeze.js';
import { parseConninfo } from '../plan/conninfo.js';
import { unfreezeByHand } from '../render/frozen-source.js';

/** Why rollback cannot run, or nothing. */
export function rollbackRefusal(loaded: LoadedPlan, journal: Journal): string | undefined {
  const f = journal.facts;
  if (!fallbackOf(loaded.plan)) return 'the plan has no cutover.fallback (enabled: true): there is no reverse stream to roll back through';
  if (f.finalized_at) return `the migration was finalized at ${f.finalized_at}: the reverse stream is gone and the source no longer receives the nodes' writes. A rollback now would lose them`;
  if (!f.switched_at) return 'the cutover has not switched writes to the nodes: nothing to roll back (`migrate abort` calls the migration off)';
  if (!f.fallback?.enabled_at) return 'the cutover did not finish setting up the reverse stream: run `migrate cutover` again first';
  return undefined;
}

/** Each node's database, as the freeze recorded it (or as its DSN names it). */
export function nodeDatabase(facts: Journal['facts'], node: { name: string; dsn: string }): string {
  return facts.rollback_freeze?.databases?.[node.name] ?? parseConninfo(node.dsn).dbname ?? process.env.PGDATABASE ?? '';
}

/**
 * The nodes take writes again: a rollback called off before its switch, or
 * abort --drop-data emptying them. From another database of each node's
 * server: the freeze closed theirs to connections.
 */
export async function unfreezeNodes(loaded: LoadedPlan, journal: Journal): Promise<void> {
  const freeze = journal.facts.rollback_freeze;
  if (!freeze) return;
  for (const n of loaded.plan.nodes) {
    const database = nodeDatabase(journal.facts, n);
    await withMaintenanceClient(n.dsn, `node ${n.name}`, async (c) => {
      await openDatabase(c, database);
      await unfreezeWrites(c, { database, read_only_before: freeze.read_only_before[n.name] ?? null });
    });
  }
  delete journal.facts.rollback_freeze;
  journal.save();
}

/** What the operator reads about the nodes a rollback left frozen: that they are, and how to open them by hand. */
export function frozenNodesText(loaded: LoadedPlan, facts: Journal['facts'], file: string): string {
  const each = loaded.plan.nodes.map((n) => `     on ${n.name} (psql -d postgres on its server): ${unfreezeByHand(nodeDatabase(facts, n))}`).join('\n');
  return `The nodes stay frozen: closed to new connections (ALLOW_CONNECTIONS false) and read-only, so that nothing writes where no source would see it. They hold data the source now moves past: before \`migrate apply\` again, empty them (\`migrate abort ${file} --drop-data\`, which opens them).\n   Only to open them by hand (a write there reaches no source):\n${each}\n`;
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
        warn(`!! the nodes could NOT be unfrozen: ${(e as Error).message}. On each node's server (psql -d postgres): ${loaded.plan.nodes.map((n) => `${n.name}: ${unfreezeByHand(nodeDatabase(journal.facts, n))}`).join(' ')}`);
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
        nodes_left: f.rolled_back_at ? 'frozen (closed to connections, read-only): writes go to the source' : unfrozeNodes ? 'writable again (rollback called off)' : f.rollback_freeze ? 'FROZEN (closed to connections, read-only)' : 'unchanged',
      };
      if (report.status === 'succeeded' && report.outcome === 'completed') {
        out(`Writes were frozen for ${report.rollback.write_downtime_ms} ms (from the nodes' freeze to the source made writable). The source takes writes again.\n`);
        out(frozenNodesText(loaded, f, file));
      }
    },
    nextSteps: () =>
      unfrozeNodes
        ? `The nodes take writes again and the fallback stream keeps running: nothing was lost. Fix the cause and run \`migrate rollback ${file}\` again.`
        : `Run \`migrate rollback ${file}\` again to finish; \`migrate status ${file}\` shows where things stand.`,
  });
  return result.exitCode;
}
