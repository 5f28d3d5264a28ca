// Objects on the source that replication does not carry or that the plan
// would trip on: sequences, large objects, temporary tables, publications.
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import { sequenceScope } from './relation-scope.js';

export async function readUnreadableSequences(c: pg.Client, ctx: CheckContext): Promise<{ schema: string; name: string }[]> {
  const scope = sequenceScope(ctx);
  return (
    await c.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_sequence_privilege(c.oid, 'SELECT')) AND ${scope.where}
        ORDER BY 1, 2`,
      scope.params,
    )
  ).rows;
}

export async function readSequenceCount(c: pg.Client, ctx: CheckContext): Promise<number> {
  const scope = sequenceScope(ctx);
  return (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${scope.where}`, scope.params)).rows[0].n;
}

export async function readPresentSchemas(c: pg.Client, ctx: CheckContext): Promise<string[]> {
  if (!ctx.plan.publish.schemas) return [];
  return (await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1)', [ctx.plan.publish.schemas])).rows.map((r) => r.nspname);
}

export async function readTemporaryTables(c: pg.Client): Promise<number> {
  return (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't' AND relkind IN ('r', 'p')")).rows[0].n;
}

export async function readLargeObjects(c: pg.Client): Promise<number> {
  return Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_largeobject_metadata')).rows[0].n);
}

export async function readPlanPublications(c: pg.Client, ctx: CheckContext): Promise<string[]> {
  return (await c.query<{ pubname: string }>('SELECT pubname FROM pg_publication WHERE pubname = ANY ($1) ORDER BY 1', [ctx.plan.replication.map((r) => r.publication)])).rows.map((r) => r.pubname);
}
