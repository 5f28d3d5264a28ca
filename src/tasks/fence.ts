// The fence of the write freeze, looked at once writes are frozen: before the
// switch, and when a check finds the nodes differ from the frozen source.
import type { TaskContext } from './context.js';
import { OperationError } from '../errors.js';
import { fenceIntruders, describeIntruders, preparedTransactions, describePrepared } from '../pg/write-fence.js';

/**
 * The last look before the point of no return: a write that got past the
 * freeze would be on the source and on no node. Any session of the database
 * but this tool's, or any prepared transaction, calls the cutover off.
 */
export async function checkFence(ctx: TaskContext): Promise<void> {
  const source = await ctx.db('source');
  const database = ctx.facts.source_database ?? '';
  const prepared = await preparedTransactions(source);
  if (prepared.length) throw new OperationError(`the write freeze did not hold: ${describePrepared(prepared, database)}`, 'The cutover is called off: the source is unfrozen and the slots keep every change for the nodes.');
  const intruders = await fenceIntruders(source, await ctx.ownSourcePids());
  if (intruders.length) {
    throw new OperationError(`the write freeze did not hold: ${intruders.length === 1 ? 'a session' : `${intruders.length} sessions`} of the source database ${database} besides this tool's: ${describeIntruders(intruders)}`, 'The cutover is called off: the source is unfrozen and the slots keep every change for the nodes, what they wrote included. Stop that writer (or point it at the nodes after the switch), then run cutover again.');
  }
}

