// Removing what a migration created, each step safe to repeat and each saying
// whether it found anything. Used by abort and by the cutover's cleanup.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import { readSubscription } from './replication-state.js';

/**
 * Detaches before dropping: a subscription still attached to its slot would
 * try to drop that slot on the source, and fail if the source is unreachable.
 * The slot is dropped on the source separately.
 */
export async function detachAndDropSubscription(node: pg.Client, subscription: string): Promise<boolean> {
  if (!(await readSubscription(node, subscription)).exists) return false;
  for (const stmt of renderSql('detach-subscription.sql.hbs', { subscription }).split(/;\s*\n?/).filter((s) => s.trim())) {
    await node.query(stmt);
  }
  return true;
}

/** Drops a slot, first ending the walsender that holds it, if any. */
export async function dropSlot(source: pg.Client, slot: string): Promise<boolean> {
  const found = await source.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  if (!found.rowCount) return false;
  const pid = found.rows[0].active_pid;
  if (pid) {
    await source.query('SELECT pg_terminate_backend($1)', [pid]);
    // The walsender releases the slot as it exits; wait for that, briefly.
    for (let i = 0; i < 50; i++) {
      const r = await source.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (!r.rowCount || !r.rows[0].active_pid) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const r = await source.query(renderSql('drop-slot.sql.hbs', { slot }));
  return (r.rowCount ?? 0) > 0;
}

export async function dropPublication(source: pg.Client, publication: string): Promise<boolean> {
  const found = await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (!found.rowCount) return false;
  await source.query(renderSql('drop-publication.sql.hbs', { publication }));
  return true;
}
