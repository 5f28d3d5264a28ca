// One query as compare runs it: named, checked read-only, with its :name
// parameters numbered and a value source for each.
import type { Generator } from './queries.types.js';
import { valueSource, type ParamValue, type Rng, type ValueSource } from './generators.js';

export interface CompareQuery {
  name: string;
  /** As the user (or pg_stat_statements) wrote it. */
  sql: string;
  /** With $1, $2... in place of :name. */
  text: string;
  /** The generator of each $n, in order. */
  params: NonNullable<Generator>[];
  /** With --from-stats: how often pg_stat_statements saw it. */
  calls?: number;
}

export interface BoundQuery {
  query: CompareQuery;
  /** Values for $1..$n, drawn from `rng`. */
  values: (rng: Rng) => ParamValue[];
}

/** Binds each parameter to its values; `samples` maps a generator to the values sampled for it. */
export function bindQuery(query: CompareQuery, samples: Map<NonNullable<Generator>, string[]>): BoundQuery {
  const sources: ValueSource[] = query.params.map((g) => valueSource(g, samples.get(g)));
  return { query, values: (rng) => sources.map((s) => s(rng)) };
}
