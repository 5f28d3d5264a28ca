// Sequences are not carried by logical replication: at cutover every node's
// sequences still hold their dump-time values. These read the source's and
// compute each node's settings under the plan's strategy.
import type pg from 'pg';
import { quoteName, quoteLiteral } from '../render/quote.js';
import { OperationError } from '../errors.js';
import { TOOL_SCHEMA } from './ddl-log.js';
import { renderSql } from '../render/templates.js';

export interface SourceSequence {
  schema: string;
  name: string;
  /** As the sequence itself holds it: with is_called false, the next nextval() returns last_value itself. */
  last_value: bigint;
  is_called: boolean;
  increment_by: bigint;
  min_value: bigint;
  max_value: bigint;
  start_value: bigint;
}

interface SequenceRow {
  schemaname: string;
  sequencename: string;
  increment_by: string;
  min_value: string;
  max_value: string;
  start_value: string;
  readable: boolean;
}

// Values read per statement: one round trip for a typical database, inside the write freeze.
const VALUES_PER_STATEMENT = 200;

/**
 * pg_sequences.last_value is NULL whenever is_called is false: for a sequence
 * never used, but also for one a restore script left with setval(s, 5001,
 * false), which has handed out everything below 5001. Only the sequence
 * relation itself says which, so the values are read from there.
 */
export function sequenceValuesQuery(seqs: { schema: string; name: string }[]): string {
  return seqs.map((s, i) => `SELECT ${i} AS i, last_value::text AS last_value, is_called FROM ${quoteName(s.schema, s.name)}`).join('\nUNION ALL\n');
}

export async function readSourceSequences(source: pg.Client, schemas: string[] | null): Promise<SourceSequence[]> {
  const r = await source.query<SequenceRow>(
    `SELECT schemaname, sequencename, increment_by::text, min_value::text, max_value::text, start_value::text,
            has_schema_privilege(schemaname, 'USAGE') AND has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT') AS readable
       FROM pg_sequences
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema', $2)
        AND ($1::text[] IS NULL OR schemaname = ANY($1))
      ORDER BY 1, 2`,
    // The DDL guard's log sequence is the tool's own: the nodes do not have it.
    [schemas, TOOL_SCHEMA],
  );
  const unreadable = r.rows.filter((x) => !x.readable).map((x) => quoteName(x.schemaname, x.sequencename));
  // A sequence the role may not read must stop the cutover: taking it for
  // "never used" would set the nodes back to its start.
  if (unreadable.length) {
    throw new OperationError(`the source role may not read the sequences ${unreadable.join(', ')}`, 'GRANT SELECT on them (or use a role that can), then run cutover again; nothing was changed on the nodes.');
  }
  const values = new Map<number, { last_value: string | null; is_called: boolean | null }>();
  for (let at = 0; at < r.rows.length; at += VALUES_PER_STATEMENT) {
    const chunk = r.rows.slice(at, at + VALUES_PER_STATEMENT).map((x) => ({ schema: x.schemaname, name: x.sequencename }));
    for (const v of (await source.query(sequenceValuesQuery(chunk))).rows) values.set(at + Number(v.i), v);
  }
  return r.rows.map((x, i) => {
    const v = values.get(i);
    if (!v || v.last_value === null || v.is_called === null) {
      throw new OperationError(`could not read the value of sequence ${quoteName(x.schemaname, x.sequencename)} on the source`, 'Nothing was changed on the nodes. Check that the role may read it, then run cutover again.');
    }
    return {
      schema: x.schemaname,
      name: x.sequencename,
      last_value: BigInt(v.last_value),
      is_called: v.is_called,
      increment_by: BigInt(x.increment_by),
      min_value: BigInt(x.min_value),
      max_value: BigInt(x.max_value),
      start_value: BigInt(x.start_value),
    };
  });
}

export type SequenceStrategy = 'copy' | 'interleave' | 'snowflake';

/** A column that takes its values from a sequence: an identity column, or one whose default calls nextval on it. */
export interface SequenceColumn {
  schema: string;
  table: string;
  column: string;
  /** Its default is already snowflake.nextval (converted before the freeze, or by an earlier run). */
  converted?: boolean;
}

const key = (schema: string, name: string) => JSON.stringify([schema, name]);

/**
 * On a node, the columns each sequence feeds (partitions left out: they share
 * their parent's). snowflake.convert_sequence_to_snowflake rewrites exactly
 * these to snowflake.nextval; a sequence no column uses keeps handing out
 * plain values through the application's own nextval('...') calls.
 */
export async function readSequenceColumns(node: pg.Client): Promise<(schema: string, name: string) => SequenceColumn[]> {
  const r = await node.query<{ seq_schema: string; seq_name: string; schema: string; table: string; column: string; converted: boolean }>(renderSql('sequence-columns.sql.hbs', {}));
  const byKey = new Map<string, SequenceColumn[]>();
  for (const x of r.rows) {
    const k = key(x.seq_schema, x.seq_name);
    byKey.set(k, [...(byKey.get(k) ?? []), { schema: x.schema, table: x.table, column: x.column, converted: x.converted }]);
  }
  return (schema, name) => byKey.get(key(schema, name)) ?? [];
}

/** What the cutover did to one sequence on one node, for its output and the report. */
export interface SequenceAction {
  schema: string;
  name: string;
  action: 'copy' | 'interleave' | 'snowflake';
  /** snowflake: the columns whose default is now snowflake.nextval. */
  columns?: string[];
  /** copy and interleave: the next value this node hands out, and its step. */
  next?: string;
  step?: string;
}

/**
 * Under strategy snowflake, a sequence no column uses is interleaved instead:
 * snowflake.convert_sequence_to_snowflake only widens such a sequence, and the
 * application's nextval('...') would hand out the same values on every node.
 */
export function sequenceAction(seq: SourceSequence, strategy: SequenceStrategy, columns: SequenceColumn[], gap: bigint, nodeIndex: number, nodeCount: number): { action: SequenceAction; statements: string[] } {
  const base = { schema: seq.schema, name: seq.name };
  if (strategy === 'snowflake' && columns.length) {
    // convert_sequence_to_snowflake refuses a sequence it has already converted.
    const statements = columns.every((c) => c.converted) ? [] : sequenceStatements(seq, 'snowflake', gap, nodeIndex, nodeCount);
    return { action: { ...base, action: 'snowflake', columns: columns.map((c) => `${c.schema}.${c.table}.${c.column}`) }, statements };
  }
  const effective = strategy === 'snowflake' ? 'interleave' : strategy;
  const statements = sequenceStatements(seq, effective, gap, nodeIndex, nodeCount);
  const step = seq.increment_by * (effective === 'interleave' ? BigInt(nodeCount) : 1n);
  const set = plannedValue(seq, effective, gap, nodeIndex);
  // A value set as handed out already (is_called) is followed by the next step.
  const next = set.is_called ? set.value + step : set.value;
  return { action: { ...base, action: effective, next: String(next), step: String(step) }, statements };
}

/** One line per node for the cutover's output: what was done, sequence by sequence. */
export function sequenceSummary(actions: SequenceAction[], strategy: SequenceStrategy, limit = 20): string {
  const shown = actions.slice(0, limit).map((a) =>
    a.action === 'snowflake' ? `${a.schema}.${a.name} snowflake (${a.columns!.join(', ')})` : `${a.schema}.${a.name} ${a.action === 'interleave' ? 'interleaved' : 'copied'}${a.next ? `, next ${a.next} step ${a.step}` : ''}${strategy === 'snowflake' ? ' (no column uses it)' : ''}`,
  );
  const more = actions.length > limit ? `; ... and ${actions.length - limit} more (see the report)` : '';
  return `${actions.length} sequence${actions.length === 1 ? '' : 's'} set (${strategy})${shown.length ? `: ${shown.join('; ')}${more}` : ''}`;
}

/**
 * The statements that set one node's copy of a source sequence.
 * interleave: with N nodes, node i (0-based) hands out base + i*k, base + i*k + N*k, ...
 * where base lies past the source's last value by at least the gap, so no two
 * nodes and no source value ever collide.
 */
export function sequenceStatements(seq: SourceSequence, strategy: SequenceStrategy, gap: bigint, nodeIndex: number, nodeCount: number): string[] {
  const name = quoteName(seq.schema, seq.name);
  const lit = quoteLiteral(name);
  if (strategy === 'snowflake') return [`SELECT snowflake.convert_sequence_to_snowflake(${lit}::regclass)`];
  const set = plannedValue(seq, strategy, gap, nodeIndex);
  if (strategy === 'copy') return [`SELECT setval(${lit}::regclass, ${set.value}, ${set.is_called})`];
  return [`ALTER SEQUENCE ${name} INCREMENT BY ${seq.increment_by * BigInt(nodeCount)}`, `SELECT setval(${lit}::regclass, ${set.value}, false)`];
}

/** What setval gives the sequence: copy sets the value as handed out already, unless the source's was not called and there is no gap; interleave the next one. */
function plannedValue(seq: SourceSequence, strategy: 'copy' | 'interleave', gap: bigint, nodeIndex: number): { value: bigint; is_called: boolean } {
  const k = seq.increment_by;
  const ascending = k > 0n;
  // The last value handed out. Not called: nothing from last_value on was
  // handed out (never used: as if one step before its start).
  const last = seq.is_called ? seq.last_value : seq.last_value - k;
  if (strategy === 'copy') {
    if (!seq.is_called && gap === 0n) return { value: clamp(seq.last_value, seq), is_called: false };
    return { value: clamp(ascending ? last + gap : last - gap, seq), is_called: true };
  }
  const base = ascending ? last + gap + k : last - gap + k;
  return { value: clamp(base + BigInt(nodeIndex) * k, seq), is_called: false };
}

function clamp(v: bigint, seq: SourceSequence): bigint {
  if (v > seq.max_value || v < seq.min_value) {
    throw new OperationError(`sequence ${quoteName(seq.schema, seq.name)} would be set to ${v}, outside ${seq.min_value}..${seq.max_value}`, 'Lower cutover.sequences.gap or widen the sequence.');
  }
  return v;
}
