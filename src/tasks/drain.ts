import type { TaskRunner } from './context.js';
import { currentLsn, readSlots, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';

/** With writes frozen, the source position read once is final: every node must confirm it. */
export const drain: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  const frozen = await currentLsn(source);
  ctx.record({ frozen_lsn: frozen });
  const slots = plan.replication.map((r) => r.slot);
  const deadline = Date.now() + plan.cutover.timeout_seconds * 1000;
  while (true) {
    const states = await readSlots(source, slots, frozen);
    if (states.length === slots.length && states.every((s) => s.lag_bytes === 0)) {
      return { facts: { frozen_lsn: frozen }, summary: `every node applied ${frozen}` };
    }
    ctx.progress(`frozen at ${frozen}; behind: ${states.map((s) => `${s.slot_name} ${formatBytes(s.lag_bytes)}`).join(', ')}`);
    if (Date.now() > deadline) throw new OperationError(`the nodes did not apply the frozen position ${frozen} within ${plan.cutover.timeout_seconds} s`);
    await ctx.sleep(50);
    if (ctx.signal.aborted) throw new OperationError('stopped while draining');
  }
};
