import type pg from 'pg';
import type { TaskRunner } from './context.js';
import { readSlots, formatBytes } from '../pg/replication-state.js';
import { fallbackOf, rollbackTimeoutSeconds } from '../plan/fallback.js';
import { renderSql } from '../render/templates.js';
import { OperationError } from '../errors.js';
import { writable } from './rollback-freeze.js';

/** The position of a marker written now, after the freeze (see drain.ts for why a marker). */
async function marker(client: pg.Client): Promise<string> {
  const results = (await client.query(renderSql('frozen-position.sql.hbs', {}))) as unknown as { rows?: { frozen_lsn?: string }[] }[];
  const lsn = results.map((r) => r.rows?.[0]?.frozen_lsn).find(Boolean);
  if (!lsn) throw new OperationError('could not read the frozen position');
  return lsn;
}

/** Until every slot named, or every active logical slot of the database on `client` (on a multi-master node: its peers' streams; an inactive one would never move), has confirmed `lsn`. */
async function waitForSlots(ctx: Parameters<TaskRunner>[0], client: pg.Client, lsn: string, only: string[] | null, what: string): Promise<void> {
  const deadline = Date.now() + rollbackTimeoutSeconds(ctx.plan) * 1000;
  const names = only ?? (await client.query<{ slot_name: string }>("SELECT slot_name FROM pg_replication_slots WHERE database = current_database() AND slot_type = 'logical' AND NOT temporary AND active")).rows.map((r) => r.slot_name);
  while (names.length) {
    const states = await readSlots(client, names, lsn);
    if (states.length === names.length && states.every((s) => s.lag_bytes === 0)) return;
    // Its walsender gone, a stream cannot connect again to a database the freeze closed: it would never move.
    const lost = names.filter((name) => !states.find((s) => s.slot_name === name)?.active);
    if (lost.length) throw new OperationError(`${what}: the stream of slot ${lost.join(', ')} disconnected while the nodes were closed to connections, and cannot connect again until they open`, 'The nodes will be unfrozen (opened again), so the stream reconnects and nothing is lost; run rollback again once `migrate status` shows it streaming.');
    ctx.progress(`${what} at ${lsn}; behind: ${states.map((s) => `${s.slot_name} ${formatBytes(s.lag_bytes)}`).join(', ')}`);
    if (Date.now() > deadline) throw new OperationError(`${what}: ${lsn} was not applied within ${rollbackTimeoutSeconds(ctx.plan)} s`, 'The nodes will be unfrozen and keep taking writes; the fallback stream keeps running. Look at the source\'s log for the fallback subscription\'s apply errors.');
    await ctx.sleep(50);
    if (ctx.signal.aborted) throw new OperationError('stopped while draining');
  }
}

/**
 * On a multi-master target the other nodes' last writes reach the fallback
 * node first; then the source applies the fallback node's frozen position F.
 */
export const rollbackDrain: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const others = ctx.plan.nodes.filter((n) => n.name !== f.node && n.kind !== 'postgres');
  for (const n of others) {
    const c = await ctx.db(n.name).then(writable);
    await waitForSlots(ctx, c, await marker(c), null, `${n.name}'s writes reaching its peers`);
  }
  const node = await ctx.db(f.node).then(writable);
  const frozen = await marker(node);
  ctx.record({ rollback_lsn: frozen });
  await waitForSlots(ctx, node, frozen, [f.slot], `the source applying ${f.node}'s frozen position`);
  return { facts: { rollback_lsn: frozen }, summary: `the source applied ${f.node}'s frozen position ${frozen}` };
};
