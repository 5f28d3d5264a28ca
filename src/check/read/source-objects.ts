// Objects on the source that replication does not carry or that the plan
// would trip on: sequences, large objects, temporary tables, publications.
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import { sequenceScope } from './relation-scope.js';
import type { PlanPublication } from '../facts.js';
import { publicationOwner } from '../../pg/run-marks.js';
import { readRunIdentity } from '../../engine/run-identity.js';

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

/** Read as apply's ownership guard reads them, with this state directory's identity (never made here). */
export async function readPlanPublications(c: pg.Client, ctx: CheckContext): Promise<PlanPublication[]> {
  const me = readRunIdentity(ctx.stateDir);
  const out: PlanPublication[] = [];
  for (const name of [...new Set(ctx.plan.replication.map((r) => r.publication))].sort()) {
    const owner = await publicationOwner(c, name, me, ctx.stateDir);
    if (owner.kind !== 'absent') out.push({ name, owner });
  }
  return out;
}
