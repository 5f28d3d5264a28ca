import type { TaskRunner } from './context.js';
import { readSourceSequences, sequenceStatements, type SequenceStrategy } from '../pg/sequences.js';
import { replicatedSchemas } from '../render/describe.js';
import { OperationError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';

export function sequenceStrategy(plan: { nodes: unknown[]; cutover: { sequences: { strategy?: SequenceStrategy } } }): SequenceStrategy {
  return plan.cutover.sequences.strategy ?? (plan.nodes.length > 1 ? 'interleave' : 'copy');
}

export const syncSequences: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const node = ctx.spec.node!;
  const strategy = sequenceStrategy(plan);
  const schemas = plan.publish.schemas || plan.publish.tables ? replicatedSchemas(plan) : null;
  const seqs = await readSourceSequences(await ctx.db('source'), schemas);
  const index = plan.nodes.findIndex((n) => n.name === node);
  const client = await ctx.db(node);
  let set = 0;
  try {
    await client.query('BEGIN');
    for (const seq of seqs) {
      for (const stmt of sequenceStatements(seq, strategy, BigInt(plan.cutover.sequences.gap), index, plan.nodes.length)) {
        ctx.sqlRan(node, stmt);
        await client.query(stmt);
      }
      set++;
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof OperationError) throw e;
    throw new OperationError(ctx.redactor.redact(`setting sequences on ${node}: ${pgErrorText(e)}`));
  }
  return { summary: `${set} sequence${set === 1 ? '' : 's'} set (${strategy})` };
};
