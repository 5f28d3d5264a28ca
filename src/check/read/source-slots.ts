// Replication slots and WAL senders on the source: what is free, what the plan's
// names already hold, and what other slots keep of the WAL.
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import type { InactiveSlot, PlanSlot } from '../facts.js';

const planSlotNames = (ctx: CheckContext) => ctx.plan.replication.map((r) => r.slot);

export async function readSlotsInUse(c: pg.Client): Promise<number> {
  return Number((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots')).rows[0].n);
}

export async function readWalSendersInUse(c: pg.Client): Promise<number> {
  return Number((await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'walsender'")).rows[0].n);
}

export async function readPlanSlots(c: pg.Client, ctx: CheckContext, versionNum: number): Promise<PlanSlot[]> {
  return (
    await c.query<PlanSlot>(
      `SELECT slot_name, slot_type, plugin, database, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained, ${versionNum >= 130000 ? 'wal_status' : 'NULL AS wal_status'}
         FROM pg_replication_slots WHERE slot_name = ANY ($1) ORDER BY 1`,
      [planSlotNames(ctx)],
    )
  ).rows;
}

export async function readInactiveSlots(c: pg.Client, ctx: CheckContext): Promise<InactiveSlot[]> {
  return (
    await c.query<InactiveSlot>(
      `SELECT slot_name, slot_type, database, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained
         FROM pg_replication_slots WHERE NOT active AND NOT temporary AND NOT (slot_name = ANY ($1)) ORDER BY restart_lsn NULLS LAST`,
      [planSlotNames(ctx)],
    )
  ).rows;
}
