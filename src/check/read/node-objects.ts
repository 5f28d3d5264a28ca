// What a node already holds that the restore and the subscription would meet:
// relations, schemas, the subscription, roles and extensions.
import type pg from 'pg';
import type { CheckContext, RelKind, SourceFacts } from '../context.js';
import { subscriptionOwner } from '../../pg/run-marks.js';
import { readRunIdentity } from '../../engine/run-identity.js';
import type { ExistingOwner } from '../run-owner.js';

export async function readExistingRelations(c: pg.Client, source: SourceFacts | undefined): Promise<{ schema: string; name: string; kind: RelKind }[]> {
  if (!source) return [];
  return (
    await c.query<{ schema: string; name: string; kind: RelKind }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
        ORDER BY 1, 2`,
      [source.relations.map((x) => x.schema), source.relations.map((x) => x.name)],
    )
  ).rows;
}

export async function readExistingSchemas(c: pg.Client, source: SourceFacts | undefined): Promise<string[]> {
  if (!source) return [];
  return (await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1) ORDER BY 1', [source.schemas])).rows.map((s) => s.nspname);
}

/** The plan's subscription in this database, if it exists, and whose run it is (as apply's ownership guard reads it). */
export async function readSubscription(c: pg.Client, ctx: CheckContext, name: string): Promise<{ enabled: boolean; owner: ExistingOwner } | undefined> {
  const owner = await subscriptionOwner(c, name, readRunIdentity(ctx.stateDir), ctx.stateDir);
  if (owner.kind === 'absent') return undefined;
  const rows = (
    await c.query<{ subenabled: boolean }>('SELECT subenabled FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [name])
  ).rows;
  return rows.length ? { enabled: rows[0].subenabled, owner } : undefined;
}

export async function readPresentRoles(c: pg.Client, source: SourceFacts | undefined): Promise<string[]> {
  if (!source?.roles.length) return [];
  return (await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY ($1)', [source.roles])).rows.map((x) => x.rolname);
}

export async function readAvailableExtensions(c: pg.Client, source: SourceFacts | undefined): Promise<{ name: string; installed_version: string | null }[]> {
  if (!source?.extensions.length) return [];
  return (await c.query<{ name: string; installed_version: string | null }>('SELECT name, installed_version FROM pg_available_extensions WHERE name = ANY ($1)', [source.extensions.map((e) => e.name)])).rows;
}
