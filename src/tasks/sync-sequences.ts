import type { TaskRunner } from './context.js';
import { readSequenceColumns, readSourceSequences, sequenceAction, sequenceSummary, type SequenceAction, type SequenceStrategy } from '../pg/sequences.js';
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
  const actions: SequenceAction[] = [];
  try {
    await client.query('BEGIN');
    const columnsOf = strategy === 'snowflake' ? await readSequenceColumns(client) : () => [];
    for (const seq of seqs) {
      const { action, statements } = sequenceAction(seq, strategy, columnsOf(seq.schema, seq.name), BigInt(plan.cutover.sequences.gap), index, plan.nodes.length);
      for (const stmt of statements) {
        ctx.sqlRan(node, stmt);
        await client.query(stmt);
      }
      actions.push(action);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof OperationError) throw e;
    throw new OperationError(ctx.redactor.redact(`setting sequences on ${node}: ${pgErrorText(e)}`));
  }
  // Mutated in place: the nodes' sequence tasks run at once, and each adds its own node.
  const all = (ctx.facts.sequences ??= {});
  all[node] = actions;
  return { facts: { sequences: all }, summary: sequenceSummary(actions, strategy) };
};
