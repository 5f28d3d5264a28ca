import type { TaskRunner } from './context.js';
import { connectReplication, pgErrorText } from '../pg/connect.js';
import { OperationError } from '../errors.js';

export const ANCHOR = 'anchor';

/**
 * The point where the dump and the stream meet. The temporary slot's exported
 * snapshot is what pg_dump reads, and its consistent point is where every
 * node's origin starts. The connection must stay open and silent until the dump
 * is done: any further command on it ends the snapshot.
 */
export const exportSnapshot: TaskRunner = async (ctx) => {
  const slot = ctx.describe().steps[0];
  if (slot.type !== 'replication') throw new Error('anchor step is not a replication command');
  const conn = await connectReplication(ctx.plan.source.dsn, 'the source');
  const close = async () => {
    await conn.end().catch(() => undefined);
  };
  const onAbort = () => void close();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let row: { slot_name: string; consistent_point: string; snapshot_name: string };
  try {
    row = (await conn.query(slot.command)).rows[0];
  } catch (e) {
    await close();
    throw new OperationError(`creating the snapshot anchor on the source failed: ${pgErrorText(e)}`, 'The role needs REPLICATION (rds_replication on RDS/Aurora) and pg_hba.conf must allow it; wal_level must be logical.');
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  ctx.shared.set(ANCHOR, { close });
  return {
    facts: { anchor: { slot: row.slot_name, consistent_point: row.consistent_point, snapshot: row.snapshot_name } },
    summary: `snapshot ${row.snapshot_name} at ${row.consistent_point}`,
  };
};
