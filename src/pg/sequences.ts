// Sequences are not carried by logical replication: at cutover every node's
// sequences still hold their dump-time values. These read the source's and
// compute each node's settings under the plan's strategy.
import type pg from 'pg';
import { quoteQualified, quoteIdent, quoteLiteral } from '../render/quote.js';
import { OperationError } from '../errors.js';

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

/**
 * The statements that set one node's copy of a source sequence.
 * interleave: with N nodes, node i (0-based) hands out base + i*k, base + i*k + N*k, ...
 * where base lies past the source's last value by at least the gap, so no two
 * nodes and no source value ever collide.
 */
export function sequenceStatements(seq: SourceSequence, strategy: SequenceStrategy, gap: bigint, nodeIndex: number, nodeCount: number): string[] {
  const name = quoteQualified(`${seq.schema}.${seq.name}`);
  const lit = quoteLiteral(`${quoteIdent(seq.schema)}.${quoteIdent(seq.name)}`);
  const k = seq.increment_by;
  const ascending = k > 0n;
  const last = seq.last_value ?? seq.start_value - k; // never used: as if one step before its start
  if (strategy === 'snowflake') return [`SELECT snowflake.convert_sequence_to_snowflake(${lit}::regclass)`];
  if (strategy === 'copy') {
    if (seq.last_value === null && gap === 0n) return [];
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
    throw new OperationError(`sequence ${seq.schema}.${seq.name} would be set to ${v}, outside ${seq.min_value}..${seq.max_value}`, 'Lower cutover.sequences.gap or widen the sequence.');
  }
  return v;
}
