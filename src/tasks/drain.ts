import type { TaskRunner } from './context.js';
import { readSlots, formatBytes } from '../pg/replication-state.js';
import { OperationError } from '../errors.js';
import { StreamWatch } from './stream-watch.js';

// Writes are frozen: a worker that fails twice now will not finish the drain, and the freeze must end.
const DRAIN_FAILURES = 2;
const WORKER_LOOK_EVERY = 10;

/** With writes frozen, the source position read once is final: every node must confirm it. */
export const drain: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  // F is a marker written after every frozen writer has ended: each of their
  // commits ends before it. Committed synchronously, so the WAL up to F is
  // flushed (walsenders send only flushed WAL) at once instead of when the WAL
  // writer gets to it; pgoutput sends subscribers nothing for it. Not
  // pg_current_wal_lsn(): that is the write position, which may point past the
  // last record to a page boundary that no record reaches until more WAL comes.
  const marker = ctx.describe().steps[0];
  if (marker.type !== 'sql') throw new Error('drain step is not SQL');
  // A multi-statement query answers with one result per statement.
  const results = (await source.query(marker.sql)) as unknown as { rows?: { frozen_lsn?: string }[] }[];
  const frozen = results.map((r) => r.rows?.[0]?.frozen_lsn).find(Boolean);
  if (!frozen) throw new OperationError('could not read the frozen position on the source');
  ctx.record({ frozen_lsn: frozen });
  const slots = plan.replication.map((r) => r.slot);
  const deadline = Date.now() + plan.cutover.timeout_seconds * 1000;
  const watch = new StreamWatch(ctx, DRAIN_FAILURES, 'cutover');
  for (let round = 0; ; round++) {
    const states = await readSlots(source, slots, frozen);
    if (states.length === slots.length && states.every((s) => s.lag_bytes === 0)) {
      return { facts: { frozen_lsn: frozen }, summary: `every node applied ${frozen}` };
    }
    ctx.progress(`frozen at ${frozen}; behind: ${states.map((s) => `${s.slot_name} ${formatBytes(s.lag_bytes)}`).join(', ')}`);
    // Not at once: a drain under way usually ends before the first look, and each look is time frozen.
    if (round > 0 && round % WORKER_LOOK_EVERY === 0) {
      await watch.look();
      const broken = await watch.broken();
      if (broken) throw new OperationError(`the nodes cannot apply the frozen position ${frozen}: ${broken.reason}`, broken.hint);
    }
    if (Date.now() > deadline) throw new OperationError(`the nodes did not apply the frozen position ${frozen} within ${plan.cutover.timeout_seconds} s`, watch.describe());
    await ctx.sleep(50);
    if (ctx.signal.aborted) throw new OperationError('stopped while draining');
  }
};
