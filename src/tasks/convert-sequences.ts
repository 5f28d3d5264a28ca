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
import { fallbackOf } from '../plan/fallback.js';
import { narrowerOnSource, narrowSequencesFeeding, narrowFedTables } from '../pg/column-widths.js';
import { quoteIdent } from '../render/quote.js';
import { spockLocalDdlSql } from '../render/spock-local-ddl.js';

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
    if (fallbackOf(plan)) await refuseNarrowSource(ctx, client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (e instanceof OperationError) throw e;
    throw new OperationError(ctx.redactor.redact(`converting sequences on ${node}: ${pgErrorText(e)}`), 'Nothing was converted on this node and writes were not frozen; fix the cause and run cutover again.');
  }
  return { summary: converted.length ? `${converted.length} converted to Snowflake: ${converted.join('; ')}` : 'every sequence a column uses was already converted' };
};

/**
 * With cutover.fallback, the nodes' Snowflake ids stream back to the source:
 * a column the conversion made bigint must be bigint there too (and the
 * sequence feeding it, which rollback sets past them). Checked inside the
 * conversion's transaction, which is rolled back: nothing changed anywhere.
 */
async function refuseNarrowSource(ctx: Parameters<TaskRunner>[0], node: import('pg').Client): Promise<void> {
  const source = await ctx.db('source');
  const narrow = await narrowerOnSource(source, node);
  if (!narrow.length) return;
  const sequences = await narrowSequencesFeeding(source, narrow);
  const name = (c: { schema: string; table: string }) => `${quoteIdent(c.schema)}.${quoteIdent(c.table)}`;
  const alters = narrow.map((c) => `ALTER TABLE ${name(c)} ALTER COLUMN ${quoteIdent(c.column)} TYPE bigint;`);
  const seqs = sequences.map((q) => `ALTER SEQUENCE ${quoteIdent(q.schema)}.${quoteIdent(q.name)} AS bigint;`);
  // On the live source, every table locked at once, those whose key a sequence feeds first (the order an
  // application's inserts take them: the referenced row, then the rows referencing it), so the ALTERs deadlock with none.
  const fed = new Set(sequences.length ? (await narrowFedTables(source, narrow)) : []);
  const tables = [...new Set(narrow.map(name))].sort((a, b) => Number(fed.has(b)) - Number(fed.has(a)));
  const onSource = ['BEGIN;', `LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE;`, ...alters, ...seqs, 'COMMIT;'];
  throw new OperationError(
    `cutover.fallback with Snowflake sequences: the conversion makes ${narrow.map((c) => `${c.schema}.${c.table}.${c.column}`).join(', ')} bigint on ${ctx.spec.node}, but ${narrow.length === 1 ? 'it is' : 'they are'} ${[...new Set(narrow.map((c) => c.type))].join(' or ')} on the source, where the fallback stream would bring the nodes' Snowflake ids (above 2^31) and stop at the first one. Nothing was converted and writes were not frozen`,
    `Widen them first. On the source (each ALTER TABLE rewrites its table under an ACCESS EXCLUSIVE lock): ${onSource.join(' ')} On every node, in one session, so that each node changes only its own: ${spockLocalDdlSql().replace(/\n/g, ' ')} ${alters.join(' ')} Then run cutover again.`,
  );
}
