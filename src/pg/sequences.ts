// Sequences are not carried by logical replication: at cutover every node's
// sequences still hold their dump-time values. These read the source's and
// compute each node's settings under the plan's strategy.
import type pg from 'pg';
import { quoteName, quoteLiteral } from '../render/quote.js';
import { OperationError } from '../errors.js';

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
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        AND ($1::text[] IS NULL OR schemaname = ANY($1))
      ORDER BY 1, 2`,
    [schemas],
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

/**
 * The statements that set one node's copy of a source sequence.
 * interleave: with N nodes, node i (0-based) hands out base + i*k, base + i*k + N*k, ...
 * where base lies past the source's last value by at least the gap, so no two
 * nodes and no source value ever collide.
 */
export function sequenceStatements(seq: SourceSequence, strategy: SequenceStrategy, gap: bigint, nodeIndex: number, nodeCount: number): string[] {
  const name = quoteName(seq.schema, seq.name);
  const lit = quoteLiteral(name);
  const k = seq.increment_by;
  const ascending = k > 0n;
  // The last value handed out. Not called: nothing from last_value on was
  // handed out (never used: as if one step before its start).
  const last = seq.is_called ? seq.last_value : seq.last_value - k;
  if (strategy === 'snowflake') return [`SELECT snowflake.convert_sequence_to_snowflake(${lit}::regclass)`];
  if (strategy === 'copy') {
    if (!seq.is_called && gap === 0n) return [`SELECT setval(${lit}::regclass, ${clamp(seq.last_value, seq)}, false)`];
    const value = ascending ? last + gap : last - gap;
    return [`SELECT setval(${lit}::regclass, ${clamp(value, seq)}, true)`];
  }
  const n = BigInt(nodeCount);
  const base = ascending ? last + gap + k : last - gap + k;
  const first = base + BigInt(nodeIndex) * k;
  return [`ALTER SEQUENCE ${name} INCREMENT BY ${k * n}`, `SELECT setval(${lit}::regclass, ${clamp(first, seq)}, false)`];
}

function clamp(v: bigint, seq: SourceSequence): bigint {
  if (v > seq.max_value || v < seq.min_value) {
    throw new OperationError(`sequence ${quoteName(seq.schema, seq.name)} would be set to ${v}, outside ${seq.min_value}..${seq.max_value}`, 'Lower cutover.sequences.gap or widen the sequence.');
  }
  return v;
}
