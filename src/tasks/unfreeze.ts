// Undoing a write freeze: used when a cutover fails before its switch, when a
// cutover cut off mid-freeze is run again, and by abort.
import { join } from 'node:path';
import type { LoadedPlan } from '../plan/load.js';
import type { Journal } from '../engine/journal.js';
import type { Redactor } from '../secrets.js';
import { withClient, withMaintenanceClient } from '../pg/connect.js';
import { unfreezeWrites, openDatabase } from '../pg/write-freeze.js';
import { runCommand } from '../exec/run-command.js';
import { hookCommand } from '../render/commands.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';
import { readSubscription } from '../pg/replication-state.js';

/**
 * Returns what was undone; throws if writes could not be let through again.
 * `restart`: a cutover started over after a kill, about to freeze again at
 * once; its downtime is still counted from the first freeze. Otherwise the
 * freeze is called off and the downtime ends.
 */
export async function unfreezeSource(loaded: LoadedPlan, journal: Journal, redactor: Redactor, logDir: string, why: 'restart' | 'called-off' = 'called-off'): Promise<string[]> {
  const freeze = journal.facts.freeze;
  if (why === 'called-off' && journal.facts.downtime_since) {
    delete journal.facts.downtime_since;
    delete journal.facts.freeze_attempts;
    journal.save();
  }
  if (!freeze) return [];
  const undone: string[] = [];
  const { plan } = loaded;
  if (freeze.hook && plan.cutover.unfreeze_hook) {
    const h = plan.cutover.unfreeze_hook;
    if (h.run) {
      const r = await runCommand(hookCommand(h.run), { logFile: join(logDir, 'unfreeze-hook.log'), redactor, signal: new AbortController().signal, cwd: loaded.dir });
      if (r.exitCode !== 0) throw new OperationError(`unfreeze_hook exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
    } else if (h.sql) {
      const dsn = h.on === 'source' || !h.on ? plan.source.dsn : plan.nodes.find((n) => n.name === h.on)!.dsn;
      await withClient(dsn, h.on ?? 'source', (c) => c.query(h.sql!));
    }
    undone.push('unfreeze_hook ran');
  }
  if (plan.cutover.freeze !== 'hook') {
    if (freeze.closed) {
      // Closed to connections, the database is reached from another one of the server.
      await withMaintenanceClient(plan.source.dsn, 'the source', async (c) => {
        await openDatabase(c, freeze.database);
        await unfreezeWrites(c, freeze);
      });
    } else {
      await withClient(plan.source.dsn, 'the source', (c) => unfreezeWrites(c, freeze));
    }
    undone.push(`database ${freeze.database} open to connections and writable again`);
  }
  delete journal.facts.freeze;
  journal.save();
  return undone;
}

/** Puts back each subscription's synchronous_commit, which the cutover made synchronous for its drain. */
export async function restoreApplySync(loaded: LoadedPlan, journal: Journal): Promise<void> {
  const before = journal.facts.apply_sync_before;
  if (!before) return;
  for (const r of loaded.plan.replication) {
    const value = before[r.node];
    if (!value || value === 'on') continue;
    const node = loaded.plan.nodes.find((n) => n.name === r.node)!;
    await withClient(node.dsn, `node ${r.node}`, async (c) => {
      if ((await readSubscription(c, r.subscription)).exists) await c.query(renderSql('set-apply-sync.sql.hbs', { subscription: r.subscription, value }));
    });
  }
  delete journal.facts.apply_sync_before;
  journal.save();
}

/**
 * After the switch the source stays read-only, but not closed: a cutover that
 * stopped between its switch and the end of its cleanup opens it again (the
 * rest of the cleanup needs new sessions on it).
 */
export async function reopenAfterSwitch(loaded: LoadedPlan, journal: Journal): Promise<string | undefined> {
  const freeze = journal.facts.freeze;
  if (!freeze?.closed || !journal.facts.switched_at) return undefined;
  await withMaintenanceClient(loaded.plan.source.dsn, 'the source', (c) => openDatabase(c, freeze.database));
  journal.facts.freeze = { ...freeze, closed: false };
  journal.save();
  return `database ${freeze.database} open to connections again (it stays read-only)`;
}
