// Sequences are not carried by logical replication: at cutover every node's
// sequences still hold their dump-time values. These read the source's and
// compute each node's settings under the plan's strategy.
import type pg from 'pg';
import { quoteQualified, quoteIdent, quoteLiteral } from '../render/quote.js';
import { OperationError } from '../errors.js';
import { renderSql } from '../render/templates.js';

export interface SourceSequence {
  schema: string;
  name: string;
  last_value: bigint | null;
  increment_by: bigint;
  min_value: bigint;
  max_value: bigint;
  start_value: bigint;
}

export async function readSourceSequences(source: pg.Client, schemas: string[] | null): Promise<SourceSequence[]> {
  const r = await source.query(
    `SELECT schemaname, sequencename, last_value::text, increment_by::text, min_value::text, max_value::text, start_value::text,
            has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT') AS readable
       FROM pg_sequences
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        AND ($1::text[] IS NULL OR schemaname = ANY($1))
      ORDER BY 1, 2`,
    [schemas],
  );
  const unreadable = r.rows.filter((x) => !x.readable).map((x) => `${x.schemaname}.${x.sequencename}`);
  // last_value is NULL both for a sequence never used and one the role may
  // not read; taking the second for the first would reset it.
  if (unreadable.length) {
    throw new OperationError(`the source role may not read the sequences ${unreadable.join(', ')}`, 'GRANT SELECT on them (or use a role that can), then run cutover again; nothing was changed on the nodes.');
  }
  return r.rows.map((x) => ({
    schema: x.schemaname,
    name: x.sequencename,
    last_value: x.last_value === null ? null : BigInt(x.last_value),
    increment_by: BigInt(x.increment_by),
    min_value: BigInt(x.min_value),
    max_value: BigInt(x.max_value),
    start_value: BigInt(x.start_value),
  }));
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
  // copy sets the value as handed out already (is_called), interleave as the next one.
  const next = set && (effective === 'copy' ? set.value + step : set.value);
  return { action: { ...base, action: effective, ...(next !== undefined ? { next: String(next) } : {}), step: String(step) }, statements };
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
  const name = quoteQualified(`${seq.schema}.${seq.name}`);
  const lit = quoteLiteral(`${quoteIdent(seq.schema)}.${quoteIdent(seq.name)}`);
  if (strategy === 'snowflake') return [`SELECT snowflake.convert_sequence_to_snowflake(${lit}::regclass)`];
  const set = plannedValue(seq, strategy, gap, nodeIndex);
  if (strategy === 'copy') return set ? [`SELECT setval(${lit}::regclass, ${set.value}, true)`] : [];
  return [`ALTER SEQUENCE ${name} INCREMENT BY ${seq.increment_by * BigInt(nodeCount)}`, `SELECT setval(${lit}::regclass, ${set!.value}, false)`];
}

/** The value setval gives the sequence (is_called true for copy, false for interleave), or undefined when copy leaves it alone. */
function plannedValue(seq: SourceSequence, strategy: 'copy' | 'interleave', gap: bigint, nodeIndex: number): { value: bigint } | undefined {
  const k = seq.increment_by;
  const ascending = k > 0n;
  const last = seq.last_value ?? seq.start_value - k; // never used: as if one step before its start
  if (strategy === 'copy') {
    if (seq.last_value === null && gap === 0n) return undefined;
    return { value: clamp(ascending ? last + gap : last - gap, seq) };
  }
  const base = ascending ? last + gap + k : last - gap + k;
  return { value: clamp(base + BigInt(nodeIndex) * k, seq) };
}

function clamp(v: bigint, seq: SourceSequence): bigint {
  if (v > seq.max_value || v < seq.min_value) {
    throw new OperationError(`sequence ${seq.schema}.${seq.name} would be set to ${v}, outside ${seq.min_value}..${seq.max_value}`, 'Lower cutover.sequences.gap or widen the sequence.');
  }
  return v;
}
