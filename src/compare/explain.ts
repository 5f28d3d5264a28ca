// EXPLAIN (without ANALYZE: nothing is executed) of each query on one target,
// with the first values of its parameters.
import type pg from 'pg';
import { pgErrorText } from '../pg/connect.js';
import { seededRng } from './generators.js';
import type { BoundQuery } from './query.js';
import { shapeOf, type PlanShape } from './plan-shape.js';

export async function explainAll(client: pg.Client, target: string, queries: BoundQuery[]): Promise<PlanShape[]> {
  const shapes: PlanShape[] = [];
  for (const [i, q] of queries.entries()) {
    try {
      const r = await client.query({ text: `EXPLAIN (FORMAT JSON, VERBOSE) ${q.query.text}`, values: q.values(seededRng(7919 * (i + 1))) });
      shapes.push(shapeOf(target, r.rows[0]['QUERY PLAN']));
    } catch (e) {
      shapes.push({ target, top_node: null, scans: [], error: pgErrorText(e) });
    }
  }
  return shapes;
}
