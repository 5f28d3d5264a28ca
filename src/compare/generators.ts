// Parameter values for compare's queries, like pgbench's \set. Each session's
// values come from a seeded generator, so the source and every node run the
// very same sequence of statements with the very same values.
import type { Generator } from './queries.types.js';

/** A number in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ParamValue = string | number | boolean;
export type ValueSource = (rng: Rng) => ParamValue;

export interface SampleRef {
  schema: string;
  table: string;
  column: string;
  size: number;
}

/** The sample a `sample:` generator draws from, with its defaults filled. */
export function sampleRef(gen: Generator): SampleRef | undefined {
  if (!gen || !('sample' in gen)) return undefined;
  const s = gen.sample;
  return { schema: s.schema ?? 'public', table: s.table, column: s.column, size: s.size ?? 1000 };
}

/** A generator made callable; `sampled` holds the values read for a `sample:` generator (as text). */
export function valueSource(gen: NonNullable<Generator>, sampled?: string[]): ValueSource {
  if ('random' in gen) {
    const [low, high] = gen.random[0] <= gen.random[1] ? gen.random : [gen.random[1], gen.random[0]];
    return (rng) => low + Math.floor(rng() * (high - low + 1));
  }
  if ('choice' in gen) {
    const values = gen.choice;
    return (rng) => values[Math.floor(rng() * values.length)];
  }
  if ('sample' in gen) {
    if (!sampled?.length) throw new Error(`no values sampled for ${gen.sample.table}.${gen.sample.column}`);
    return (rng) => sampled[Math.floor(rng() * sampled.length)];
  }
  const value = gen.value;
  return () => value;
}
