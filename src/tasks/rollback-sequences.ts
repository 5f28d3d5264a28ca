import type { TaskRunner } from './context.js';
import { readSourceSequences, readSequenceColumns, type SourceSequence } from '../pg/sequences.js';
import { replicatedSchemas } from '../render/describe.js';
import { renderSql } from '../render/templates.js';
import { quoteIdent } from '../render/quote.js';
import { writable } from './rollback-freeze.js';

/**
 * Each source sequence is set to the furthest value any node handed out (the
 * highest, or the lowest for a descending one): the source then hands out
 * values past all of them. A node's last_value is NULL for a sequence it never
 * used (readSourceSequences refuses one it may not read). The source's own
 * value is kept when it is already further. Under strategy snowflake, the
 * highest value of each column a sequence feeds counts too.
 */
export const rollbackSequences: TaskRunner = async (ctx) => {
  const schemas = ctx.plan.publish.schemas ?? (ctx.plan.publish.tables ? replicatedSchemas(ctx.plan) : null);
  const source = await ctx.db('source').then(writable);
  const perNode = await Promise.all(ctx.plan.nodes.map((n) => ctx.db(n.name).then((c) => readSourceSequences(c, schemas))));
  const key = (s: SourceSequence) => `${s.schema}\u0000${s.name}`;
  // Snowflake ids come from the clock and the node, not from the sequence's value: the highest one
  // is read from the columns themselves, on the source, which holds every row by now.
  const columnsOf = ctx.plan.cutover.sequences.strategy === 'snowflake' ? await readSequenceColumns(source) : () => [];
  let set = 0;
  for (const seq of await readSourceSequences(source, schemas)) {
    const ascending = seq.increment_by > 0n;
    let best = seq.last_value;
    for (const list of perNode) {
      const v = list.find((x) => key(x) === key(seq))?.last_value ?? null;
      if (v !== null && (best === null || (ascending ? v > best : v < best))) best = v;
    }
    for (const c of ascending ? columnsOf(seq.schema, seq.name) : []) {
      const { rows } = await source.query<{ top: string | null }>(`SELECT max(${quoteIdent(c.column)})::text AS top FROM ${quoteIdent(c.schema)}.${quoteIdent(c.table)}`);
      const top = rows[0]?.top ? BigInt(rows[0].top) : null;
      if (top !== null && (best === null || top > best)) best = top;
    }
    if (best === null || best === seq.last_value) continue;
    await source.query(renderSql('set-sequence.sql.hbs', { sequence: `${quoteIdent(seq.schema)}.${quoteIdent(seq.name)}`, value: best.toString(), is_called: 'true' }));
    set++;
  }
  return { summary: `${set} sequence${set === 1 ? '' : 's'} set past the nodes' values` };
};
