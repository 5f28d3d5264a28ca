// Under strategy snowflake, the sequences columns take their values from are
// converted before the freeze: Snowflake ids depend on no value of the source,
// and the conversion rewrites a 4-byte key (and the keys referencing it) to
// bigint, which would otherwise lengthen the freeze. The streams from the
// source keep applying meanwhile (they carry explicit keys, never defaults).
// The sequences no column uses wait for the freeze: they are interleaved past
// the source's final value (sync-sequences).
import type { TaskRunner } from './context.js';
import { readSequenceColumns, readSourceSequences, sequenceAction } from '../pg/sequences.js';
import { replicatedSchemas } from '../render/describe.js';
import { OperationError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';

export const convertSequences: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const node = ctx.spec.node!;
  const schemas = plan.publish.schemas || plan.publish.tables ? replicatedSchemas(plan) : null;
  const seqs = await readSourceSequences(await ctx.db('source'), schemas);
  const client = await ctx.db(node);
  const converted: string[] = [];
  try {
    await client.query('BEGIN');
    const columnsOf = await readSequenceColumns(client);
    for (const seq of seqs) {
      const columns = columnsOf(seq.schema, seq.name);
      if (!columns.length) continue;
      const { statements } = sequenceAction(seq, 'snowflake', columns, 0n, 0, plan.nodes.length);
      for (const stmt of statements) await client.query(stmt);
      if (statements.length) converted.push(`${seq.schema}.${seq.name} (${columns.map((c) => `${c.schema}.${c.table}.${c.column}`).join(', ')})`);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof OperationError) throw e;
    throw new OperationError(ctx.redactor.redact(`converting sequences on ${node}: ${pgErrorText(e)}`), 'Nothing was converted on this node and writes were not frozen; fix the cause and run cutover again.');
  }
  return { summary: converted.length ? `${converted.length} converted to Snowflake: ${converted.join('; ')}` : 'every sequence a column uses was already converted' };
};
