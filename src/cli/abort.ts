import { existsSync } from 'node:fs';
import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { acquireLock } from '../engine/lock.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { detachAndDropSubscription, dropSlot, dropPublication } from '../pg/teardown.js';
import { redactorFor } from '../engine/run-stage.js';
import { unfreezeSource, reopenAfterSwitch } from '../tasks/unfreeze.js';
import { dropRestoredObjects } from '../pg/drop-restored.js';
import { dropFallbackStream } from '../pg/fallback-teardown.js';
import { unfreezeNodes } from './rollback.js';

/**
 * `migrate abort PLAN`: removes everything the migration created, so that the
 * source is as it was before apply. Goes on past a failure (an unreachable
 * node) and says loudly what it could not remove. Idempotent.
 */
export async function abortCommand(file: string, opts: { stateDir?: string; dropData?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const { plan } = loaded;
  const state = planStateDir(loaded, opts.stateDir);
  const redactor = redactorFor(loaded);
  const lock = acquireLock(state, 'abort', plan.name);
  const removed: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<boolean | void>) => {
    try {
      if ((await fn()) !== false) removed.push(what);
    } catch (e) {
      failures.push(redactor.redact(`${what}: ${pgErrorText(e)}`));
    }
  };
  try {
    const journal = existsSync(Journal.file(state)) ? Journal.open(state, plan.name) : undefined;
    const fallback = journal?.facts.fallback;
    if (fallback && journal?.facts.switched_at && !fallback.dropped_at) {
      err(`abort refused: writes were switched to the nodes at ${journal.facts.switched_at} and stream back to the source through the fallback stream. Choose: \`migrate rollback ${file}\` switches writes back to the source (exact, the nodes stay frozen); \`migrate finalize ${file}\` stays on the nodes and drops the fallback stream (no way back after it). Nothing was changed.\n`);
      return 1;
    }
    if (journal?.facts.freeze && journal.facts.switched_at) {
      // A cutover stopped between its switch and its end leaves the database closed to connections too.
      await attempt(`the closing of the source database ${journal.facts.freeze.database} to new connections`, async () => Boolean(await reopenAfterSwitch(loaded, journal)));
      err(`the source stays read-only: writes were switched to the nodes at ${journal.facts.switched_at}, and a write to the source now would be lost. If you really want it writable: ALTER DATABASE ... RESET default_transaction_read_only\n`);
    } else if (journal?.facts.freeze) {
      const db = journal.facts.freeze.database;
      await attempt(`write freeze on the source database ${db}`, async () => void (await unfreezeSource(loaded, journal, redactor, state)));
    }
    await attempt('the fallback stream', async () => {
      const gone = await dropFallbackStream(plan);
      removed.push(...gone);
      return false;
    });
    for (const r of plan.replication) {
      const node = plan.nodes.find((n) => n.name === r.node)!;
      await attempt(`subscription ${r.subscription} on ${r.node}`, () => withClient(node.dsn, `node ${r.node}`, (c) => detachAndDropSubscription(c, r.subscription)));
    }
    await withClient(plan.source.dsn, 'the source', async (source) => {
      for (const r of plan.replication) await attempt(`slot ${r.slot} on the source`, () => dropSlot(source, r.slot));
      for (const r of plan.replication) await attempt(`publication ${r.publication} on the source`, () => dropPublication(source, r.publication));
    }).catch((e) => failures.push(redactor.redact(`the source: ${pgErrorText(e)}`)));
    if (journal?.facts.rollback_freeze && journal.facts.rolled_back_at) {
      // Rolled back: the nodes are frozen and stale. Emptying them needs them writable; otherwise they stay frozen.
      if (opts.dropData) await attempt('the write freeze on the nodes (rolled back; they are emptied next)', () => unfreezeNodes(loaded, journal));
      else err(`the nodes stay frozen (read-only): writes were rolled back to the source at ${journal.facts.rolled_back_at}. \`migrate abort ${file} --drop-data\` empties them for a new migration.\n`);
    }
    if (opts.dropData) {
      const dump = planDumpDir(loaded, state);
      for (const n of plan.nodes) {
        await attempt(`restored objects on ${n.name}`, () => dropRestoredObjects(plan, n.name, dump, redactor));
      }
    }
    if (failures.length === 0) {
      journal?.remove();
      if (journal) removed.push(`the journal ${Journal.file(state)}`);
    }
  } finally {
    lock.release();
  }
  for (const r of removed) out(`removed ${r}\n`);
  if (!removed.length && !failures.length) out('nothing to remove: no subscription, slot or publication of this plan exists\n');
  if (failures.length) {
    for (const f of failures) err(`could not remove ${f}\n`);
    const slots = plan.replication.map((r) => r.slot).join(', ');
    err(`!! abort is incomplete. Any of the slots ${slots} still on the source holds WAL until dropped: fix the cause and run \`migrate abort ${file}\` again.\n`);
    return 1;
  }
  out(`the source is as it was before apply${opts.dropData ? '; the nodes are emptied of the restored objects' : ''}\n`);
  return 0;
}
