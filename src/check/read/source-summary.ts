// The first round of queries on the source: its settings, the tool's role, and
// what the plan publishes. What the node and tool checks compare against
// comes from here, so it is read before anything else; a failure here is the
// source being unusable (source.reachable), not one check that could not run.
import type pg from 'pg';
import { majorOf, settingsOf } from '../session.js';
import type { CheckContext, PublishedTable, RelKind } from '../context.js';
import type { SourceRole, SourceSettings, SourceSummary } from '../facts.js';
import { notExtensionMember, relationScope, systemSchema, type Scope } from './relation-scope.js';
import { readRestoreRoles } from './restore-roles.js';
import { readDatabaseSettings } from '../../pg/database-settings.js';

async function readSettings(c: pg.Client): Promise<{ settings: SourceSettings; version: string; versionNum: number }> {
  const s = settingsOf(
    (
      await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings
          WHERE name IN ('server_version', 'server_version_num', 'wal_level', 'max_replication_slots', 'max_wal_senders',
                         'max_slot_wal_keep_size', 'rds.logical_replication')`,
      )
    ).rows,
  );
  const versionNum = Number(s.get('server_version_num'));
  const keep = s.get('max_slot_wal_keep_size');
  const settings: SourceSettings = {
    wal_level: s.get('wal_level') ?? '',
    max_replication_slots: Number(s.get('max_replication_slots')),
    max_wal_senders: Number(s.get('max_wal_senders')),
    max_slot_wal_keep_size: keep === undefined ? undefined : Number(keep),
    rds_logical_replication: s.get('rds.logical_replication'),
  };
  return { settings, version: s.get('server_version') ?? String(versionNum), versionNum };
}

async function readRole(c: pg.Client): Promise<{ role: SourceRole; user: string; database: string; size: number; standby: boolean }> {
  const who = (
    await c.query<{ user: string; database: string; size: string; standby: boolean; superuser: boolean; replication: boolean }>(
      `SELECT current_user AS user, current_database() AS database, pg_database_size(current_database())::text AS size,
              pg_is_in_recovery() AS standby, r.rolsuper AS superuser, r.rolreplication AS replication
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  const memberships = (
    await c.query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles
        WHERE rolname IN ('rds_superuser', 'rds_replication', 'pg_read_all_data', 'pg_read_all_stats', 'pg_monitor')
          AND pg_has_role(current_user, oid, 'MEMBER')`,
    )
  ).rows.map((r) => r.rolname);
  return { role: { superuser: who.superuser, replication: who.replication, memberships }, user: who.user, database: who.database, size: Number(who.size), standby: who.standby };
}

async function readPublishedTables(c: pg.Client, scope: Scope): Promise<PublishedTable[]> {
  return (
    await c.query<PublishedTable>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence, c.relreplident AS replident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident AND i.indisvalid) AS has_identity_index,
              (SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
                WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid
                  AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)
                ORDER BY i.indnatts, ci.relname LIMIT 1) AS candidate_index,
              has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_select,
              pg_has_role(c.relowner, 'USAGE') AS owned
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND ${scope.where}
        ORDER BY 1, 2`,
      scope.params,
    )
  ).rows;
}

/** A dump of chosen tables holds just them; a dump of schemas or the whole database also holds the views, sequences and foreign tables around them. */
async function readRestoredRelations(c: pg.Client, ctx: CheckContext, scope: Scope, tables: PublishedTable[]): Promise<{ schema: string; name: string; kind: RelKind }[]> {
  if (ctx.plan.publish.tables) return tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.kind as RelKind }));
  return (
    await c.query<{ schema: string; name: string; kind: RelKind }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}
        ORDER BY 1, 2`,
      scope.params,
    )
  ).rows;
}

/** The schemas the dump holds (public included). */
async function readDumpedSchemas(c: pg.Client, ctx: CheckContext): Promise<string[]> {
  if (ctx.plan.publish.schemas) return ctx.plan.publish.schemas;
  if (ctx.plan.publish.tables) return [];
  return (await c.query<{ nspname: string }>(`SELECT n.nspname FROM pg_namespace n WHERE NOT ${systemSchema('n')} AND ${notExtensionMember('pg_namespace', 'n.oid')} ORDER BY 1`)).rows.map((r) => r.nspname);
}

/** Heap and TOAST of the published tables; null when a table is locked ACCESS EXCLUSIVE (lock_timeout): the database size stands in. */
async function readPublishedSize(c: pg.Client, scope: Scope): Promise<number | null> {
  try {
    const r = await c.query<{ size: string }>(
      `SELECT coalesce(sum(pg_table_size(c.oid)), 0)::text AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ${scope.where}`,
      scope.params,
    );
    return Number(r.rows[0].size);
  } catch {
    return null;
  }
}

/** What every other check needs; the first queries to run, so an unusable source is known at once. */
export async function readSourceSummary(c: pg.Client, ctx: CheckContext): Promise<SourceSummary> {
  const { settings, version, versionNum } = await readSettings(c);
  const who = await readRole(c);
  const scope = relationScope(ctx, versionNum);
  const tables = await readPublishedTables(c, scope);
  const relations = await readRestoredRelations(c, ctx, scope, tables);
  const schemas = await readDumpedSchemas(c, ctx);
  const extensions = (await c.query<{ name: string; version: string }>(`SELECT extname AS name, extversion AS version FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)).rows;
  const roles = await readRestoreRoles(c, ctx, scope, schemas);
  const publishedSize = await readPublishedSize(c, scope);
  const databaseSettings = await readDatabaseSettings(c);
  return {
    version_num: versionNum,
    version,
    major: majorOf(versionNum),
    user: who.user,
    database: who.database,
    database_size: who.size,
    published_size: publishedSize,
    tables,
    relations,
    schemas: schemas.filter((s) => s !== 'public'),
    extensions,
    roles,
    database_settings: databaseSettings,
    standby: who.standby,
    settings,
    role: who.role,
  };
}
