// What `status` says about the way back (cutover.fallback): the reverse
// stream's lag and the WAL its slot holds on the node (an abandoned fallback
// slot fills the node's disk), and a rollback stopped with the nodes frozen.
import type { LoadedPlan } from '../plan/load.js';
import type { Facts } from '../facts.js';
import { fallbackOf } from '../plan/fallback.js';
import { withClient, withMaintenanceClient, pgErrorText } from '../pg/connect.js';
import { readDatabaseFreeze } from '../pg/write-freeze.js';
import { unfreezeByHand } from '../render/frozen-source.js';
import { nodeDatabase } from './rollback.js';
import { readSlots, formatBytes } from '../pg/replication-state.js';

export interface FallbackStatus {
  node: string;
  subscription: string;
  slot: string;
  created_at: string;
  worker_pid: number | null;
  /** Bytes of the node's WAL the source has not confirmed yet. */
  lag_bytes: number | null;
  /** WAL the slot keeps on the node's disk. */
  slot_wal_held_bytes: number | null;
  hours_held: number;
  warning: string | null;
  error: string | null;
}

export async function fallbackStatus(loaded: LoadedPlan, facts: Facts, file: string): Promise<{ status: FallbackStatus | null; notes: string[] }> {
  const f = fallbackOf(loaded.plan);
  const notes: string[] = [];
  if (facts.rollback_freeze && !facts.source_unfrozen_at) notes.push(`!! Writes on the nodes are frozen since ${facts.rollback_freeze.frozen_at} by a rollback that did not finish, and the source is not writable yet: run \`migrate rollback ${file}\` to finish it.`);
  else if (facts.source_unfrozen_at) notes.push(`Rolled back at ${facts.rolled_back_at ?? facts.source_unfrozen_at}: writes go to the source; the nodes stay frozen and stale.`);
  if (facts.rollback_freeze) notes.push(await nodesFrozenNow(loaded, facts));
  if (facts.finalized_at) notes.push(`Finalized at ${facts.finalized_at}: the fallback stream is gone; no rollback.`);
  const live = facts.fallback && !facts.fallback.dropped_at ? facts.fallback : undefined;
  if (!f || !live) return { status: null, notes };
  const node = loaded.plan.nodes.find((n) => n.name === live.node)!;
  const hours = (Date.now() - new Date(live.created_at).getTime()) / 3_600_000;
  const s: FallbackStatus = { node: live.node, subscription: live.subscription, slot: live.slot, created_at: live.created_at, worker_pid: null, lag_bytes: null, slot_wal_held_bytes: null, hours_held: Number(hours.toFixed(2)), warning: null, error: null };
  try {
    s.worker_pid = await withClient(loaded.plan.source.dsn, 'the source', async (c) => (await c.query<{ pid: number | null }>('SELECT pid FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL', [live.subscription])).rows[0]?.pid ?? null);
    const [slot] = await withClient(node.dsn, `node ${live.node}`, (c) => readSlots(c, [live.slot], null));
    s.lag_bytes = slot?.lag_bytes ?? null;
    s.slot_wal_held_bytes = slot?.retained_bytes ?? null;
  } catch (e) {
    s.error = pgErrorText(e);
  }
  if (hours >= f.warnAfterHours) s.warning = `!! The fallback slot ${live.slot} has held WAL on ${live.node} for ${hours.toFixed(1)} h (${formatBytes(s.slot_wal_held_bytes)} now): it grows until \`migrate rollback ${file}\` or \`migrate finalize ${file}\` drops it. Decide, or the node's disk fills.`;
  notes.unshift(`Fallback stream ${live.node} -> source: subscription ${live.subscription} ${s.worker_pid ? `streaming (pid ${s.worker_pid})` : 'NOT streaming (no apply worker)'}, lag ${formatBytes(s.lag_bytes)}, slot ${live.slot} holds ${formatBytes(s.slot_wal_held_bytes)} on ${live.node}${s.error ? `; error: ${s.error}` : ''}.`);
  if (s.warning) notes.push(s.warning);
  return { status: s, notes };
}

/** What each node's server says now of its database: closed to connections, read-only (a rollback's freeze), or open. */
async function nodesFrozenNow(loaded: LoadedPlan, facts: Facts): Promise<string> {
  const lines = await Promise.all(
    loaded.plan.nodes.map(async (n) => {
      const database = nodeDatabase(facts, n);
      try {
        const state = await withMaintenanceClient(n.dsn, `node ${n.name}`, (c) => readDatabaseFreeze(c, database));
        if (!state) return `   ${n.name}: the database ${database} does not exist`;
        const what = [state.closed ? 'closed to new connections (ALLOW_CONNECTIONS false)' : 'open to connections', state.read_only ? 'read-only for new sessions' : 'writable'].join(', ');
        const fix = state.closed || state.read_only ? `; to open it by hand (psql -d postgres on its server): ${unfreezeByHand(database)}` : '';
        return `   ${n.name}: ${database} ${what}${fix}`;
      } catch (e) {
        return `   ${n.name}: unknown (${pgErrorText(e)})`;
      }
    }),
  );
  return `The nodes, as their servers say now:\n${lines.join('\n')}`;
}
