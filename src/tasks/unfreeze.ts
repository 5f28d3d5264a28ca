// Undoing a write freeze: used when a cutover fails before its switch, when a
// cutover cut off mid-freeze is run again, and by abort.
import { join } from 'node:path';
import type { LoadedPlan } from '../plan/load.js';
import type { Journal } from '../engine/journal.js';
import type { Redactor } from '../secrets.js';
import { withClient } from '../pg/connect.js';
import { unfreezeWrites } from '../pg/write-freeze.js';
import { runCommand } from '../exec/run-command.js';
import { hookCommand } from '../render/commands.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';
import { readSubscription } from '../pg/replication-state.js';

/** Returns what was undone; throws if writes could not be let through again. */
export async function unfreezeSource(loaded: LoadedPlan, journal: Journal, redactor: Redactor, logDir: string): Promise<string[]> {
  const freeze = journal.facts.freeze;
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
    await withClient(plan.source.dsn, 'the source', (c) => unfreezeWrites(c, freeze));
    undone.push(`database ${freeze.database} writable again`);
  }
  delete journal.facts.freeze;
  try {
    journal.save();
  } catch {
    // The source is writable whatever the journal says: one that still records
    // the freeze only makes the next cutover or abort undo it again, harmlessly.
    undone.push('(the journal could not be updated: it still records the freeze)');
  }
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
