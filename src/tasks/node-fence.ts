// The rollback's wall on the nodes, looked at: prepared transactions (a
// COMMIT PREPARED needs no session of its writer and would write on a node
// after the switch back, a write no source ever sees), and sessions of a
// node's database other than this tool's once it is closed.
import type { TaskContext } from './context.js';
import { OperationError } from '../errors.js';
import { preparedTransactions, fenceIntruders, describeIntruders, type PreparedTransaction } from '../pg/write-fence.js';
import { quoteLiteral } from '../render/quote.js';

function describeNodePrepared(node: string, database: string, list: PreparedTransaction[]): string {
  const each = list.map((p) => `${quoteLiteral(p.gid)} (owner ${p.owner}, prepared at ${p.prepared_at})`).join(', ');
  const fix = list.map((p) => `COMMIT PREPARED ${quoteLiteral(p.gid)}; or ROLLBACK PREPARED ${quoteLiteral(p.gid)};`).join(' ');
  return `${list.length === 1 ? 'a prepared transaction is' : `${list.length} prepared transactions are`} open in ${node}'s database ${database}: ${each}. A COMMIT PREPARED after the nodes' freeze would write on ${node} behind the source's back. End ${list.length === 1 ? 'it' : 'each'} on ${node}, in that database, as whoever prepared it decides: ${fix}`;
}

/** Every prepared transaction open on any node, described; empty when none. */
export async function nodesPrepared(ctx: TaskContext): Promise<string[]> {
  const found = await Promise.all(
    ctx.plan.nodes.map(async (n) => {
      const c = await ctx.db(n.name);
      const list = await preparedTransactions(c);
      return list.length ? describeNodePrepared(n.name, (await c.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d, list) : undefined;
    }),
  );
  return found.filter((x): x is string => x !== undefined);
}

/**
 * The last look before the rollback's switch: a write that got past the
 * nodes' freeze would be on the nodes and never reach the source. Any
 * prepared transaction, or any session of a node's database but this tool's
 * (Spock's and pglogical's workers aside), calls the rollback off.
 */
export async function checkNodeFence(ctx: TaskContext): Promise<void> {
  const prepared = await nodesPrepared(ctx);
  if (prepared.length) throw new OperationError(`the nodes' write freeze did not hold: ${prepared.join('; ')}`, 'The rollback is called off: the nodes are unfrozen and the fallback stream keeps running.');
  const found = await Promise.all(ctx.plan.nodes.map(async (n) => fenceIntruders(await ctx.db(n.name), await ctx.ownNodePids(n.name), true)));
  for (const [i, n] of ctx.plan.nodes.entries()) {
    const intruders = found[i];
    if (intruders.length) {
      throw new OperationError(
        `the nodes' write freeze did not hold: ${intruders.length === 1 ? 'a session' : `${intruders.length} sessions`} of ${n.name}'s database besides this tool's: ${describeIntruders(intruders)}`,
        'The rollback is called off: the nodes are unfrozen and the fallback stream keeps running, so what they wrote reaches the source. Stop that writer, then run rollback again.',
      );
    }
  }
}
