// Between a removal on the source and on the nodes: every node must have
// applied everything the source sent before it, or a node could drop what a
// row still on its way needs. Confirmed means the slot's confirmed_flush_lsn
// has reached a position read on the source after the removal.
import type { TaskRunner } from './context.js';
import { readSlots, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';

export const ddlConfirm: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  const [read] = ctx.describe().steps;
  if (read.type !== 'sql') throw new Error('ddl-confirm step is not SQL');
  const target = (await source.query<{ removal_lsn: string }>(read.sql)).rows[0].removal_lsn;
  const slots = plan.replication.map((r) => r.slot);
  const deadline = Date.now() + plan.catch_up.timeout_seconds * 1000;
  for (;;) {
    const states = await readSlots(source, slots, target);
    const missing = slots.filter((s) => !states.some((x) => x.slot_name === s));
    if (missing.length) throw new OperationError(`slot ${missing.join(', ')} is gone from the source`, 'The stream to that node cannot continue: see `migrate status`.');
    const behind = states.filter((s) => s.lag_bytes === null || s.lag_bytes > 0);
    if (!behind.length) return { summary: `every node confirmed ${target}` };
    const nodeOf = (slot: string) => plan.replication.find((r) => r.slot === slot)!.node;
    if (Date.now() > deadline) {
      throw new OperationError(
        `${behind.map((s) => nodeOf(s.slot_name)).join(', ')} did not confirm ${target} within ${plan.catch_up.timeout_seconds} s (${behind.map((s) => `${nodeOf(s.slot_name)} ${formatBytes(s.lag_bytes)} behind`).join(', ')})`,
        'The removal is done on the source and not yet on those nodes. See `migrate status`; once they stream again, run the same command again to finish.',
      );
    }
    ctx.progress(`waiting for ${target}: ${behind.map((s) => `${nodeOf(s.slot_name)} ${formatBytes(s.lag_bytes)} behind`).join(', ')}`);
    await ctx.sleep(200);
    if (ctx.signal.aborted) throw new OperationError('stopped while waiting for the nodes to confirm');
  }
};
