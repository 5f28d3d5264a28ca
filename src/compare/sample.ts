// `sample:` generators draw from values read once, at the start, from the
// source's table: a random sample (TABLESAMPLE, so a large table is not read
// whole), each value as text so that it binds exactly as stored.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';
import { OperationError } from '../errors.js';
import type { Generator } from './queries.types.js';
import { sampleRef, type SampleRef } from './generators.js';
import type { CompareQuery } from './query.js';

/** The sampled values of every `sample:` generator of `queries`. */
export async function sampleValues(source: pg.Client, queries: CompareQuery[]): Promise<Map<NonNullable<Generator>, string[]>> {
  const out = new Map<NonNullable<Generator>, string[]>();
  const cache = new Map<string, string[]>();
  for (const q of queries) {
    for (const g of q.params) {
      const ref = sampleRef(g);
      if (!ref) continue;
      const key = JSON.stringify(ref);
      if (!cache.has(key)) cache.set(key, await sampleColumn(source, ref, q.name));
      out.set(g, cache.get(key)!);
    }
  }
  return out;
}

async function sampleColumn(source: pg.Client, ref: SampleRef, query: string): Promise<string[]> {
  const where = `${ref.schema}.${ref.table}.${ref.column} (query ${query})`;
  const est = await source.query<{ reltuples: number }>(
    `SELECT c.reltuples::float8 AS reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [ref.schema, ref.table],
  );
  if (!est.rows.length) throw new OperationError(`sample ${where}: the source has no table ${ref.schema}.${ref.table}`, 'Fix the sample generator in the compare queries file.');
  const table = `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
  const column = quoteIdent(ref.column);
  const rows = Number(est.rows[0].reltuples);
  // Three times the rows wanted, as a percentage of the estimate; small or
  // never-analyzed tables are read directly.
  const percent = rows > ref.size * 10 ? Math.max(0.0001, Math.min(100, ((ref.size * 3) / rows) * 100)) : undefined;
  const from = percent === undefined ? table : `${table} TABLESAMPLE BERNOULLI (${percent.toFixed(6)})`;
  try {
    const r = await source.query<{ v: string }>(`SELECT ${column}::text AS v FROM ${from} WHERE ${column} IS NOT NULL LIMIT ${ref.size}`);
    if (!r.rows.length) throw new OperationError(`sample ${where}: no non-null value found`, 'Sample a column that holds values, or use random: or choice: instead.');
    return r.rows.map((x) => x.v);
  } catch (e) {
    if (e instanceof OperationError) throw e;
    throw new OperationError(`sample ${where}: ${(e as Error).message}`, 'Fix the sample generator in the compare queries file.');
  }
}
