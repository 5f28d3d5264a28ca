// Checks of the source: can it decode, can this role publish and read, what will
// the stream not carry, and what is already there that the plan would trip on.
// Read-only catalog queries only (see session.ts).
import type pg from 'pg';
import { parseConninfo } from '../plan/conninfo.js';
import { quoteIdent, quoteLiteral } from '../render/quote.js';
import { planTableName } from '../plan/table-name.js';
import { subscriptionConnection } from '../render/describe.js';
import { formatBytes } from '../pg/replication-state.js';
import { listed, plural, type Finding } from './finding.js';
import { majorOf, probe, settingsOf, type CheckResult } from './session.js';
import { qualified, type CheckContext, type PublishedTable, type RelKind, type SourceFacts } from './context.js';

export const SOURCE_CHECKS = [
  'source.reachable',
  'source.primary',
  'source.version',
  'source.wal_level',
  'source.replication_slots',
  'source.wal_senders',
  'source.replication_role',
  'source.publication_privilege',
  'source.select_privilege',
  'source.published_tables',
  'source.replica_identity',
  'source.unlogged_tables',
  'source.temporary_tables',
  'source.large_objects',
  'source.sequences',
  'source.materialized_views',
  'source.ddl',
  'source.existing_publications',
  'source.existing_slots',
  'source.inactive_slots',
  'source.max_slot_wal_keep_size',
  'source.long_transactions',
  'source.prepared_transactions',
  'source.multimaster_keys',
  'source.size',
] as const;

type SourceCheckId = (typeof SOURCE_CHECKS)[number];

const finding = (id: SourceCheckId, severity: Finding['severity'], found: string, why: string, fix?: string): Finding => ({ id, severity, target: 'source', found, why, ...(fix ? { fix } : {}) });

/** The anchor's CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') syntax is new in 15. */
const MIN_SOURCE_MAJOR = 15;
/** Transactions holding an xid for longer than this are named: slot creation waits for each to end. */
const LONG_TRANSACTION_SECONDS = 60;
/** How long the WAL write rate is sampled for; the other checks run meanwhile. */
const WAL_SAMPLE_MS = 1_000;
/**
 * Dump and restore throughput assumed when weighing max_slot_wal_keep_size:
 * well under what MECHANICS.md measured (about 60 MB/s for both together on a
 * laptop), because a production source is busy and its nodes are remote.
 */
const ASSUMED_COPY_BYTES_PER_SECOND = 20 * 1024 * 1024;
const MIN_COPY_SECONDS = 600;

export function sq(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

const SYSTEM_SCHEMA = `(%n.nspname IN ('pg_catalog', 'information_schema') OR %n.nspname ~ '^pg_(toast|temp_|toast_temp_)')`;
const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %table::regclass AND d.objid = %oid AND d.deptype = 'e')`;

function systemSchema(n: string): string {
  return SYSTEM_SCHEMA.replaceAll('%n', n);
}

function notExtensionMember(catalog: string, oid: string): string {
  return NOT_EXTENSION_MEMBER.replace('%table', quoteLiteral(catalog)).replace('%oid', oid);
}

/**
 * Which relations the publication carries and the dump holds, as a WHERE
 * fragment over pg_class c and pg_namespace n, with its parameters ($1, $2).
 * FOR TABLE on a partitioned table publishes its partitions.
 */
function relationScope(ctx: CheckContext, versionNum: number): { where: string; params: unknown[] } {
  const { publish } = ctx.plan;
  const member = notExtensionMember('pg_class', 'c.oid');
  if (publish.tables) {
    const schemas = publish.tables.map((t) => planTableName(t).schema);
    const names = publish.tables.map((t) => planTableName(t).name);
    const listedPair = `(%n.nspname, %c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;
    const direct = listedPair.replaceAll('%n', 'n').replaceAll('%c', 'c');
    const viaParent =
      versionNum >= 120000
        ? ` OR EXISTS (SELECT 1 FROM pg_partition_ancestors(c.oid) a JOIN pg_class ac ON ac.oid = a.relid JOIN pg_namespace an ON an.oid = ac.relnamespace WHERE ${listedPair.replaceAll('%n', 'an').replaceAll('%c', 'ac')})`
        : '';
    return { where: `(${direct}${viaParent}) AND ${member}`, params: [schemas, names] };
  }
  if (publish.schemas) return { where: `n.nspname = ANY ($1::text[]) AND ${member}`, params: [publish.schemas] };
  return { where: `NOT ${systemSchema('n')} AND ${member}`, params: [] };
}

/** What every other check needs; the first queries to run, so an unusable source is known at once. */
export async function readSourceFacts(c: pg.Client, ctx: CheckContext): Promise<{ facts: SourceFacts; settings: Map<string, string>; standby: boolean; rds: boolean; superuser: boolean; replication: boolean; memberships: Set<string> }> {
  const settings = settingsOf(
    (
      await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings
          WHERE name IN ('server_version', 'server_version_num', 'wal_level', 'max_replication_slots', 'max_wal_senders',
                         'max_slot_wal_keep_size', 'rds.logical_replication')`,
      )
    ).rows,
  );
  const who = (
    await c.query<{ user: string; database: string; size: string; standby: boolean; superuser: boolean; replication: boolean }>(
      `SELECT current_user AS user, current_database() AS database, pg_database_size(current_database())::text AS size,
              pg_is_in_recovery() AS standby, r.rolsuper AS superuser, r.rolreplication AS replication
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  const memberships = new Set(
    (
      await c.query<{ rolname: string }>(
        `SELECT rolname FROM pg_roles
          WHERE rolname IN ('rds_superuser', 'rds_replication', 'pg_read_all_data', 'pg_read_all_stats', 'pg_monitor')
            AND pg_has_role(current_user, oid, 'MEMBER')`,
      )
    ).rows.map((r) => r.rolname),
  );
  const versionNum = Number(settings.get('server_version_num'));
  const scope = relationScope(ctx, versionNum);
  const tables = (
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
  // A dump of chosen tables holds just them; a dump of schemas or the whole
  // database also holds the views, sequences and foreign tables around them.
  const relations = ctx.plan.publish.tables
    ? tables.map((t) => ({ schema: t.schema, name: t.name, kind: t.kind as RelKind }))
    : (
        await c.query<{ schema: string; name: string; kind: RelKind }>(
          `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}
            ORDER BY 1, 2`,
          scope.params,
        )
      ).rows;
  let schemas: string[] = [];
  if (ctx.plan.publish.schemas) schemas = ctx.plan.publish.schemas;
  else if (!ctx.plan.publish.tables) {
    schemas = (
      await c.query<{ nspname: string }>(`SELECT n.nspname FROM pg_namespace n WHERE NOT ${systemSchema('n')} AND ${notExtensionMember('pg_namespace', 'n.oid')} ORDER BY 1`)
    ).rows.map((r) => r.nspname);
  }
  const extensions = (await c.query<{ name: string; version: string }>(`SELECT extname AS name, extversion AS version FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)).rows;
  const roles = await restoreRoles(c, ctx, scope, schemas);
  let publishedSize: number | null = null;
  try {
    const r = await c.query<{ size: string }>(
      `SELECT coalesce(sum(pg_table_size(c.oid)), 0)::text AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND ${scope.where}`,
      scope.params,
    );
    publishedSize = Number(r.rows[0].size);
  } catch {
    // A table locked ACCESS EXCLUSIVE (lock_timeout): fall back to the database size.
  }
  const facts: SourceFacts = {
    version_num: versionNum,
    version: settings.get('server_version') ?? String(versionNum),
    major: majorOf(versionNum),
    user: who.user,
    database: who.database,
    database_size: Number(who.size),
    published_size: publishedSize,
    tables,
    relations,
    schemas: schemas.filter((s) => s !== 'public'),
    extensions,
    roles,
  };
  return { facts, settings, standby: who.standby, rds: settings.has('rds.logical_replication'), superuser: who.superuser, replication: who.replication, memberships };
}

/** pg_dump writes ALTER ... OWNER TO and GRANT for these; pg_restore --exit-on-error stops at the first role a node lacks. */
async function restoreRoles(c: pg.Client, ctx: CheckContext, scope: { where: string; params: unknown[] }, schemas: string[]): Promise<string[]> {
  const { no_owner, no_privileges } = ctx.plan.restore;
  const parts: string[] = [];
  const relations = `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}`;
  const p = scope.params.length;
  const nsp = `n.nspname = ANY ($${p + 1}::text[])`;
  if (!no_owner) {
    parts.push(`SELECT pg_get_userbyid(c.relowner) AS role ${relations}`);
    parts.push(`SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE ${nsp}`);
    parts.push(`SELECT pg_get_userbyid(f.proowner) FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace WHERE ${nsp} AND ${notExtensionMember('pg_proc', 'f.oid')}`);
  }
  if (!no_privileges) {
    parts.push(
      `SELECT pg_get_userbyid(a.grantee) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE a.grantee <> 0 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relpersistence <> 't' AND ${scope.where}`,
    );
    parts.push(`SELECT pg_get_userbyid(a.grantee) FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee <> 0 AND ${nsp}`);
  }
  if (!parts.length) return [];
  const r = await c.query<{ role: string }>(`SELECT DISTINCT role FROM (${parts.join(' UNION ')}) x ORDER BY 1`, [...scope.params, schemas]);
  return r.rows.map((x) => x.role);
}

export type SourceRead = Awaited<ReturnType<typeof readSourceFacts>>;

/** Every source check, given what readSourceFacts found. */
export async function checkSource(c: pg.Client, ctx: CheckContext, read: SourceRead): Promise<Finding[]> {
  const { plan } = ctx;
  const { facts, settings, rds } = read;
  const out: Finding[] = [];
  const run = async (id: SourceCheckId, fn: () => Promise<CheckResult>) => out.push(...(await probe(id, 'source', fn)));
  const planSlots = plan.replication.map((r) => r.slot);
  const privileged = read.superuser || read.memberships.has('rds_superuser');
  const multimaster = plan.nodes.filter((n) => n.kind !== 'postgres').map((n) => n.name);
  const logged = facts.tables.filter((t) => t.persistence === 'p');

  if (read.standby) {
    out.push(
      finding(
        'source.primary',
        'error',
        'the source is a standby (in recovery)',
        'Publications and the snapshot anchor are created on a primary; a standby refuses them.',
        'Point source.dsn at the primary server.',
      ),
    );
    return out;
  }
  // The WAL write rate is sampled across the other checks (and whatever the caller runs meanwhile).
  const walStart = (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  const sampleStarted = Date.now();

  await run('source.version', async () =>
    facts.version_num < MIN_SOURCE_MAJOR * 10000
      ? finding(
          'source.version',
          'error',
          `PostgreSQL ${facts.version}`,
          `The snapshot anchor is created with CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export'), which PostgreSQL accepts from ${MIN_SOURCE_MAJOR} on.`,
          `Upgrade the source to PostgreSQL ${MIN_SOURCE_MAJOR} or later first (pg_upgrade), then migrate.`,
        )
      : finding('source.version', 'info', `PostgreSQL ${facts.version}`, 'The nodes and pg_dump/pg_restore must be this major version or newer.'),
  );

  await run('source.wal_level', async () => {
    const level = settings.get('wal_level');
    if (level === 'logical') return undefined;
    if (rds) {
      return finding(
        'source.wal_level',
        'error',
        `wal_level is ${level}; rds.logical_replication is ${settings.get('rds.logical_replication')}`,
        'Logical decoding needs wal_level = logical: without it no slot can be created ("logical decoding requires wal_level >= logical").',
        "Set rds.logical_replication = 1 in the instance's DB parameter group (Aurora: the DB cluster parameter group), then reboot the writer; wal_level becomes logical.",
      );
    }
    return finding(
      'source.wal_level',
      'error',
      `wal_level is ${level}`,
      'Logical decoding needs wal_level = logical: without it no slot can be created ("logical decoding requires wal_level >= logical").',
      'ALTER SYSTEM SET wal_level = logical;  then restart PostgreSQL (a reload is not enough). On RDS or Aurora: rds.logical_replication = 1 in the parameter group, then reboot.',
    );
  });

  await run('source.replication_slots', async () => {
    const used = Number((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots')).rows[0].n);
    const existing = (await c.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name = ANY ($1)', [planSlots])).rows.length;
    const max = Number(settings.get('max_replication_slots'));
    const needed = planSlots.length - existing + 1;
    if (max - used >= needed) return undefined;
    return finding(
      'source.replication_slots',
      'error',
      `max_replication_slots is ${max} and ${used} in use: ${max - used} free, the plan needs ${needed}`,
      `Each node's stream needs its own slot, and the snapshot anchor a temporary one while the dump runs (${planSlots.length - existing} + 1).`,
      rds ? `Raise max_replication_slots to at least ${used + needed} in the parameter group, then reboot.` : `ALTER SYSTEM SET max_replication_slots = ${used + needed};  then restart PostgreSQL.`,
    );
  });

  await run('source.wal_senders', async () => {
    const used = Number((await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'walsender'")).rows[0].n);
    // A resumed migration's streams already have their senders (counted in used).
    const streaming = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = ANY ($1) AND active', [planSlots])).rows[0].n;
    const max = Number(settings.get('max_wal_senders'));
    const needed = plan.replication.length - streaming + 1;
    if (max - used >= needed) return undefined;
    return finding(
      'source.wal_senders',
      'error',
      `max_wal_senders is ${max} and ${used} in use: ${max - used} free, the plan needs ${needed}`,
      `Each subscription streams through its own WAL sender, and the snapshot anchor holds one for the whole dump (${plan.replication.length - streaming} + 1).`,
      rds ? `Raise max_wal_senders to at least ${used + needed} in the parameter group, then reboot.` : `ALTER SYSTEM SET max_wal_senders = ${used + needed};  then restart PostgreSQL.`,
    );
  });

  await run('source.replication_role', async () => {
    // The tool's role creates the slots and the anchor; each subscription logs in as the role of its connection string.
    const roles = new Map<string, string[]>([[facts.user, ['source.dsn']]]);
    for (const r of plan.replication) {
      let user: string | undefined;
      try {
        user = parseConninfo(subscriptionConnection(plan, r.node, true)).user;
      } catch {
        continue;
      }
      if (user && user !== facts.user) roles.set(user, [...(roles.get(user) ?? []), `subscription ${r.subscription}`]);
    }
    const rows = (
      await c.query<{ rolname: string; ok: boolean }>(
        `SELECT r.rolname, r.rolsuper OR r.rolreplication
                OR EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS ok
           FROM pg_roles r WHERE r.rolname = ANY ($1)`,
        [[...roles.keys()]],
      )
    ).rows;
    const out: Finding[] = [];
    const missing = [...roles.keys()].filter((u) => !rows.some((r) => r.rolname === u));
    const lacking = rows.filter((r) => !r.ok).map((r) => r.rolname);
    if (lacking.length) {
      out.push(
        finding(
          'source.replication_role',
          'error',
          `${lacking.map((u) => `role ${u} (${roles.get(u)!.join(', ')})`).join('; ')} has neither REPLICATION nor ${rds ? 'rds_replication' : 'superuser'}`,
          'Creating the slots, exporting the snapshot anchor and streaming to a subscription all take a replication connection, which only such a role may open.',
          lacking.map((u) => (rds ? `GRANT rds_replication TO ${quoteIdent(u)};` : `ALTER ROLE ${quoteIdent(u)} REPLICATION;`)).join('\n'),
        ),
      );
    }
    if (missing.length) {
      out.push(
        finding(
          'source.replication_role',
          'error',
          `role ${missing.join(', ')} (${missing.map((u) => roles.get(u)!.join(', ')).join('; ')}) does not exist on the source`,
          "A subscription logs in to the source as the user of its connection string; the node's stream would fail to connect.",
          `Create it on the source (CREATE ROLE ... LOGIN REPLICATION), or fix the user in source.subscriber_dsn / nodes[].source_dsn.`,
        ),
      );
    }
    return out;
  });

  await run('source.publication_privilege', async () => {
    if (privileged) return undefined;
    const rdsNote = rds ? ' or a member of rds_superuser' : '';
    const canCreate = (await c.query<{ ok: boolean }>("SELECT has_database_privilege(current_database(), 'CREATE') AS ok")).rows[0].ok;
    const out: Finding[] = [];
    if (!canCreate) {
      out.push(
        finding(
          'source.publication_privilege',
          'error',
          `role ${facts.user} may not create in database ${facts.database}`,
          'CREATE PUBLICATION needs the CREATE privilege on the database.',
          `GRANT CREATE ON DATABASE ${quoteIdent(facts.database)} TO ${quoteIdent(facts.user)};`,
        ),
      );
    }
    if (!plan.publish.tables) {
      out.push(
        finding(
          'source.publication_privilege',
          'error',
          `role ${facts.user} is not a superuser${rdsNote}, and the plan publishes ${plan.publish.schemas ? 'whole schemas (FOR TABLES IN SCHEMA)' : 'every table (FOR ALL TABLES)'}`,
          `PostgreSQL lets only a superuser create a publication ${plan.publish.schemas ? 'FOR TABLES IN SCHEMA' : 'FOR ALL TABLES'}.`,
          rds ? `Run the migration as the master user (a member of rds_superuser), or list the tables in publish.tables.` : `Run the migration as a superuser, or list tables this role owns in publish.tables.`,
        ),
      );
    } else {
      const notOwned = facts.tables.filter((t) => !t.owned);
      if (notOwned.length) {
        out.push(
          finding(
            'source.publication_privilege',
            'error',
            `role ${facts.user} does not own ${plural(notOwned.length, 'published table')}: ${listed(notOwned.map((t) => qualified(t.schema, t.name)))}`,
            'CREATE PUBLICATION ... FOR TABLE needs ownership of every table it names.',
            `Run the migration as the tables' owner or a superuser, or: ${listed(notOwned.map((t) => `ALTER TABLE ${sq(t.schema, t.name)} OWNER TO ${quoteIdent(facts.user)};`), '\n')}`,
          ),
        );
      }
    }
    return out;
  });

  await run('source.select_privilege', async () => {
    const tables = facts.tables.filter((t) => !t.can_select).map((t) => sq(t.schema, t.name));
    const sequences = (
      await c.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'S' AND NOT (has_schema_privilege(n.oid, 'USAGE') AND has_sequence_privilege(c.oid, 'SELECT')) AND ${sequenceScope(ctx)}
          ORDER BY 1, 2`,
        sequenceScopeParams(ctx),
      )
    ).rows.map((s) => sq(s.schema, s.name));
    if (!tables.length && !sequences.length) return undefined;
    const what = [tables.length ? `${plural(tables.length, 'published table')} (${listed(tables)})` : '', sequences.length ? `${plural(sequences.length, 'sequence')} (${listed(sequences)})` : ''].filter(Boolean).join(' and ');
    const u = quoteIdent(facts.user);
    return finding(
      'source.select_privilege',
      'error',
      `role ${facts.user} cannot read ${what}`,
      'pg_dump reads every table and sequence it dumps and stops at the first it may not read; the cutover reads the sequences too (a NULL there would silently reset them).',
      listed([...tables.map((t) => `GRANT SELECT ON ${t} TO ${u};`), ...sequences.map((s) => `GRANT SELECT ON SEQUENCE ${s} TO ${u};`)], '\n') +
        `\n(or GRANT pg_read_all_data TO ${u}; plus USAGE on the schemas)`,
    );
  });

  await run('source.published_tables', async () => {
    const { publish } = plan;
    if (publish.tables) {
      const missing = publish.tables.filter((t) => !facts.tables.some((x) => x.schema === planTableName(t).schema && x.name === planTableName(t).name));
      if (missing.length) {
        return finding(
          'source.published_tables',
          'error',
          `publish.tables names ${plural(missing.length, 'table')} the source does not have (or not as a table): ${listed(missing)}`,
          'CREATE PUBLICATION fails on a table that does not exist, and pg_dump --table on a pattern that matches nothing.',
          'Fix the names in publish.tables: schema.table, exactly as PostgreSQL spells them (case included).',
        );
      }
    }
    if (publish.schemas) {
      const present = (await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1)', [publish.schemas])).rows.map((r) => r.nspname);
      const missing = publish.schemas.filter((s) => !present.includes(s));
      if (missing.length) {
        return finding(
          'source.published_tables',
          'error',
          `publish.schemas names ${plural(missing.length, 'schema')} the source does not have: ${listed(missing)}`,
          'CREATE PUBLICATION ... FOR TABLES IN SCHEMA fails on a schema that does not exist.',
          'Fix the names in publish.schemas, exactly as PostgreSQL spells them.',
        );
      }
    }
    if (!logged.length) {
      return finding('source.published_tables', 'warning', 'the publication would carry no table', 'Nothing would be replicated: the nodes would get the dump and no changes after it.', 'Check publish.schemas / publish.tables and the source.dsn database.');
    }
    return undefined;
  });

  await run('source.replica_identity', async () => {
    const broken = logged.filter((t) => t.kind === 'r' && !hasIdentity(t));
    if (!broken.length) return undefined;
    return finding(
      'source.replica_identity',
      'error',
      `${plural(broken.length, 'published table')} without a primary key or usable replica identity: ${listed(broken.map((t) => qualified(t.schema, t.name)))}`,
      'Once the publication exists, PostgreSQL refuses UPDATE and DELETE on a published table that has no replica identity ("cannot update table ... because it does not have a replica identity and publishes updates"): the application would start failing on the source.',
      listed(broken.map(identityFix), '\n'),
    );
  });

  await run('source.unlogged_tables', async () => {
    const unlogged = facts.tables.filter((t) => t.persistence === 'u').map((t) => qualified(t.schema, t.name));
    if (!unlogged.length) return undefined;
    if (plan.publish.tables) {
      return finding(
        'source.unlogged_tables',
        'error',
        `publish.tables names ${plural(unlogged.length, 'unlogged table')}: ${listed(unlogged)}`,
        'Unlogged tables write no WAL, so logical replication cannot carry them; CREATE PUBLICATION ... FOR TABLE refuses them.',
        `${listed(
          facts.tables.filter((t) => t.persistence === 'u').map((t) => `ALTER TABLE ${sq(t.schema, t.name)} SET LOGGED;`),
          '\n',
        )}\n(rewrites the table under an exclusive lock), or remove them from publish.tables.`,
      );
    }
    return finding(
      'source.unlogged_tables',
      'warning',
      `${plural(unlogged.length, 'unlogged table')}: ${listed(unlogged)}`,
      "Unlogged tables write no WAL, so logical replication skips them: the nodes get their rows as of the dump and none of the changes after it.",
      `If their contents matter after the switch: ${listed(
        facts.tables.filter((t) => t.persistence === 'u').map((t) => `ALTER TABLE ${sq(t.schema, t.name)} SET LOGGED;`),
        ' ',
      )} (rewrites each table under an exclusive lock); otherwise accept that they start from the dump's contents.`,
    );
  });

  await run('source.temporary_tables', async () => {
    const n = (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't' AND relkind IN ('r', 'p')")).rows[0].n;
    if (!n) return undefined;
    return finding('source.temporary_tables', 'info', `${plural(n, 'temporary table')} open in sessions now`, 'Temporary tables belong to their session: neither pg_dump nor replication carries them. Applications recreate them on the nodes as they do on the source.');
  });

  await run('source.large_objects', async () => {
    const n = Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_largeobject_metadata')).rows[0].n);
    if (!n) return undefined;
    if (plan.publish.schemas || plan.publish.tables) {
      return finding('source.large_objects', 'info', `${plural(n, 'large object')} in pg_largeobject`, 'A dump of chosen schemas or tables leaves large objects out, and replication never carries them: the nodes will not have them.', 'If the migrated tables reference them (oid columns), they must be copied separately.');
    }
    return finding(
      'source.large_objects',
      'warning',
      `${plural(n, 'large object')} in pg_largeobject`,
      'The dump copies large objects as of the snapshot, but logical replication does not carry large-object writes: one created or changed during the migration is missing or stale on the nodes.',
      'Keep large objects unchanged from apply until the switch, or move them to bytea columns before migrating; compare them on the nodes (lo_get) before switching.',
    );
  });

  await run('source.sequences', async () => {
    const n = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${sequenceScope(ctx)}`, sequenceScopeParams(ctx))).rows[0].n;
    if (!n) return undefined;
    const strategy = plan.cutover.sequences.strategy;
    return finding(
      'source.sequences',
      'info',
      `${plural(n, 'sequence')}: handled at cutover${strategy ? ` (cutover.sequences.strategy: ${strategy})` : ''}`,
      "Logical replication does not carry sequence values: after catch-up the nodes' sequences still hold the dump's values. The cutover sets them from the frozen source.",
    );
  });

  await run('source.materialized_views', async () => {
    const mv = facts.relations.filter((r) => r.kind === 'm');
    if (!mv.length) return undefined;
    return finding(
      'source.materialized_views',
      'warning',
      `${plural(mv.length, 'materialized view')}: ${listed(mv.map((m) => qualified(m.schema, m.name)))}`,
      'Materialized views are restored with the contents of the dump and are not replicated; on the nodes they stay as of the snapshot until refreshed.',
      `On each node, before the switch: ${listed(mv.map((m) => `REFRESH MATERIALIZED VIEW ${sq(m.schema, m.name)};`), ' ')}`,
    );
  });

  out.push(
    finding(
      'source.ddl',
      'info',
      'schema changes (DDL) are not replicated',
      'CREATE, ALTER and DROP on the source after the snapshot do not reach the nodes; a column added to a published table stops the stream at the next row that has it.',
      'Freeze schema changes from apply until the switch. If one cannot wait: apply it on every node first, then on the source; a new table also needs ALTER SUBSCRIPTION ... REFRESH PUBLICATION on each node, or the nodes discard its changes. `migrate status` names every published table and column a node misses, with the exact fix.',
    ),
  );

  await run('source.existing_publications', async () => {
    const rows = (await c.query<{ pubname: string }>('SELECT pubname FROM pg_publication WHERE pubname = ANY ($1) ORDER BY 1', [plan.replication.map((r) => r.publication)])).rows;
    const ours = plan.replication.filter((r) => rows.some((p) => p.pubname === r.publication));
    const resumed = ours.filter((r) => ctx.started.has(`publication:${r.node}`));
    const foreign = ours.filter((r) => !ctx.started.has(`publication:${r.node}`));
    const out: Finding[] = [];
    if (resumed.length) out.push(finding('source.existing_publications', 'info', `publication ${resumed.map((r) => r.publication).join(', ')} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.'));
    if (foreign.length) {
      out.push(
        finding(
          'source.existing_publications',
          'error',
          `publication ${foreign.map((r) => r.publication).join(', ')} already exists on the source`,
          'apply takes an existing publication of that name as its own and does not compare what it carries: a leftover from another run or another tool would decide what is replicated.',
          `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise drop it (${foreign.map((r) => `DROP PUBLICATION ${quoteIdent(r.publication)};`).join(' ')}) or choose other publication names in the plan.`,
        ),
      );
    }
    return out;
  });

  await run('source.existing_slots', async () => {
    const rows = (
      await c.query<{ slot_name: string; slot_type: string; plugin: string | null; database: string | null; active: boolean; retained: string | null; wal_status: string | null }>(
        `SELECT slot_name, slot_type, plugin, database, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained, ${facts.version_num >= 130000 ? 'wal_status' : 'NULL AS wal_status'}
           FROM pg_replication_slots WHERE slot_name = ANY ($1) ORDER BY 1`,
        [planSlots],
      )
    ).rows;
    const ours = plan.replication.filter((r) => rows.some((s) => s.slot_name === r.slot));
    const describe = (slot: string) => {
      const s = rows.find((x) => x.slot_name === slot)!;
      return `${slot} (${s.slot_type}${s.plugin ? ` ${s.plugin}` : ''}${s.database ? `, database ${s.database}` : ''}, ${s.active ? 'active' : 'inactive'}, holding ${formatBytes(s.retained === null ? null : Number(s.retained))} of WAL${s.wal_status ? `, ${s.wal_status}` : ''})`;
    };
    const resumed = ours.filter((r) => ctx.started.has(`slot:${r.node}`));
    const leftover = ours.filter((r) => !ctx.started.has(`slot:${r.node}`));
    const out: Finding[] = [];
    if (resumed.length) out.push(finding('source.existing_slots', 'info', `slot ${resumed.map((r) => describe(r.slot)).join(', ')} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.'));
    if (leftover.length) {
      out.push(
        finding(
          'source.existing_slots',
          'error',
          `slot ${leftover.map((r) => describe(r.slot)).join(', ')} already exists on the source`,
          "A slot the plan names but did not create is a leftover: apply would stream from it, and a slot older than the snapshot anchor has held WAL all along (and may have been invalidated). Until dropped it also keeps the source's WAL from being recycled.",
          `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise, on the source: ${leftover.map((r) => `SELECT pg_drop_replication_slot(${quoteLiteral(r.slot)});`).join(' ')} (or choose other slot names in the plan).`,
        ),
      );
    }
    return out;
  });

  await run('source.inactive_slots', async () => {
    const rows = (
      await c.query<{ slot_name: string; slot_type: string; database: string | null; retained: string | null }>(
        `SELECT slot_name, slot_type, database, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained
           FROM pg_replication_slots WHERE NOT active AND NOT temporary AND NOT (slot_name = ANY ($1)) ORDER BY restart_lsn NULLS LAST`,
        [planSlots],
      )
    ).rows;
    if (!rows.length) return undefined;
    return finding(
      'source.inactive_slots',
      'warning',
      `${plural(rows.length, 'inactive slot')}: ${listed(rows.map((s) => `${s.slot_name} (${s.slot_type}${s.database ? `, database ${s.database}` : ''}, holding ${formatBytes(s.retained === null ? null : Number(s.retained))} of WAL)`))}`,
      "An inactive slot keeps every WAL segment since its position: it adds to what the migration's own slots hold while the dump and restores run, on the same disk.",
      `If unused: ${listed(rows.map((s) => `SELECT pg_drop_replication_slot(${quoteLiteral(s.slot_name)});`), ' ')}`,
    );
  });

  await run('source.long_transactions', async () => {
    const rows = (
      await c.query<{ pid: number; usename: string | null; datname: string | null; application_name: string | null; state: string | null; age: number }>(
        `SELECT pid, usename, datname, application_name, state, extract(epoch FROM now() - xact_start)::int AS age
           FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start < now() - make_interval(secs => $1)
          ORDER BY xact_start LIMIT 20`,
        [LONG_TRANSACTION_SECONDS],
      )
    ).rows;
    if (!rows.length) return undefined;
    return finding(
      'source.long_transactions',
      'warning',
      `${plural(rows.length, 'write transaction')} open for over ${LONG_TRANSACTION_SECONDS} s: ${rows.map((r) => `pid ${r.pid} (${r.usename ?? '?'}@${r.datname ?? '?'}${r.application_name ? `, ${r.application_name}` : ''}, ${r.state ?? '?'}, ${r.age} s)`).join('; ')}`,
      `Creating a logical slot waits until every transaction that has written (in any database of the server) has ended; apply gives up after source.lock_timeout_seconds (${plan.source.lock_timeout_seconds} s).`,
      `Let them finish before apply, or end them: ${rows.map((r) => `SELECT pg_terminate_backend(${r.pid});`).join(' ')}`,
    );
  });

  await run('source.prepared_transactions', async () => {
    const rows = (await c.query<{ gid: string; owner: string; database: string; age: number }>('SELECT gid, owner, database, extract(epoch FROM now() - prepared)::int AS age FROM pg_prepared_xacts ORDER BY prepared')).rows;
    if (!rows.length) return undefined;
    return finding(
      'source.prepared_transactions',
      'warning',
      `${plural(rows.length, 'prepared transaction')}: ${listed(rows.map((r) => `${r.gid} (${r.owner}@${r.database}, prepared ${r.age} s ago)`))}`,
      'A prepared transaction stays open until someone commits or rolls it back, and slot creation waits for it like for any open transaction: apply would wait, then give up.',
      `Have its transaction manager finish it, or by hand: ${listed(rows.map((r) => `COMMIT PREPARED ${quoteLiteral(r.gid)};  -- or ROLLBACK PREPARED`), ' ')}`,
    );
  });

  await run('source.multimaster_keys', async () => {
    if (!multimaster.length) return undefined;
    const weak = logged.filter((t) => t.kind === 'r' && (!t.has_pk || t.replident === 'f'));
    if (!weak.length) return undefined;
    return finding(
      'source.multimaster_keys',
      'warning',
      `${plural(weak.length, 'table')} without a primary key or with REPLICA IDENTITY FULL, and ${multimaster.join(', ')} ${multimaster.length === 1 ? 'is a pgEdge/pglogical node' : 'are pgEdge/pglogical nodes'}: ${listed(weak.map((t) => `${qualified(t.schema, t.name)} (${t.has_pk ? 'REPLICA IDENTITY FULL' : 'no primary key'})`))}`,
      'Spock (and pglogical) find the row an UPDATE or DELETE touches on the other nodes by its primary key; after the switch, such changes to these tables do not replicate between the nodes.',
      listed(
        weak.map((t) =>
          t.has_pk ? `ALTER TABLE ${sq(t.schema, t.name)} REPLICA IDENTITY DEFAULT;` : t.candidate_index ? `ALTER TABLE ${sq(t.schema, t.name)} ADD PRIMARY KEY USING INDEX ${quoteIdent(t.candidate_index)};` : `ALTER TABLE ${sq(t.schema, t.name)} ADD PRIMARY KEY (<columns>);`,
        ),
        '\n',
      ),
    );
  });

  await run('source.size', async () =>
    finding(
      'source.size',
      'info',
      `database ${facts.database} is ${formatBytes(facts.database_size)}${facts.published_size !== null ? `; the published tables hold about ${formatBytes(facts.published_size)} (without indexes)` : ''}`,
      'The dump holds about the tables\' size (less with compression), each node needs room for the whole restored database, and the slots hold the WAL the source writes until the restores are done and the nodes have caught up.',
    ),
  );

  // Last: by now the rate has been sampled over the other checks.
  await run('source.max_slot_wal_keep_size', async () => {
    const wait = WAL_SAMPLE_MS - (Date.now() - sampleStarted);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = (await c.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes', [walStart])).rows[0];
    const seconds = (Date.now() - sampleStarted) / 1000;
    const rate = Number(r.bytes) / seconds;
    const rateText = `the source writes about ${formatBytes(Math.round(rate))}/s of WAL now (sampled over ${seconds.toFixed(1)} s)`;
    const setting = settings.get('max_slot_wal_keep_size');
    if (setting === undefined) return undefined;
    const limitMb = Number(setting);
    const copySeconds = Math.max(MIN_COPY_SECONDS, (facts.published_size ?? facts.database_size) / ASSUMED_COPY_BYTES_PER_SECOND);
    if (limitMb < 0) {
      return finding(
        'source.max_slot_wal_keep_size',
        'info',
        `max_slot_wal_keep_size is -1 (no limit); ${rateText}`,
        `The slots are never invalidated, but they hold all WAL written from their creation until the nodes have consumed it: about ${formatBytes(Math.round(rate * copySeconds))} over ${Math.round(copySeconds / 60)} min of dump, restore and catch-up at this rate. The source's free disk cannot be read over SQL: watch it during apply.`,
      );
    }
    const limit = limitMb * 1024 * 1024;
    const lasts = rate > 0 ? limit / rate : Infinity;
    const enough = lasts >= copySeconds;
    return finding(
      'source.max_slot_wal_keep_size',
      enough ? 'info' : 'warning',
      `max_slot_wal_keep_size is ${formatBytes(limit)}; ${rateText}, so the slots can fall ${Number.isFinite(lasts) ? `about ${formatDuration(lasts)}` : 'indefinitely'} behind`,
      `A slot further behind than this is invalidated and its node's stream is lost for good (the migration must start over). The slots fall behind from their creation until each node has restored and caught up; for this database that may take ${formatDuration(copySeconds)} or more (assuming ${formatBytes(ASSUMED_COPY_BYTES_PER_SECOND)}/s for dump and restore).`,
      enough ? undefined : rds ? `Raise max_slot_wal_keep_size in the parameter group (or -1 for no limit, watching the disk), or migrate at a quieter time.` : `ALTER SYSTEM SET max_slot_wal_keep_size = '${Math.ceil((rate * copySeconds * 2) / 1024 ** 3)}GB';  SELECT pg_reload_conf();  (or -1 for no limit, watching the disk), or migrate at a quieter time.`,
    );
  });

  return out;
}

export function hasIdentity(t: PublishedTable): boolean {
  if (t.replident === 'f') return true;
  if (t.replident === 'd') return t.has_pk;
  if (t.replident === 'i') return t.has_identity_index;
  return false;
}

function identityFix(t: PublishedTable): string {
  const table = sq(t.schema, t.name);
  if (t.replident === 'n' && t.has_pk) return `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT;`;
  if (t.candidate_index) return `ALTER TABLE ${table} REPLICA IDENTITY USING INDEX ${quoteIdent(t.candidate_index)};`;
  return `ALTER TABLE ${table} ADD PRIMARY KEY (<columns>);  -- or, heavier on every update and delete: ALTER TABLE ${table} REPLICA IDENTITY FULL;`;
}

/** Sequences the dump holds: those of the scope, and with publish.tables those the listed tables own (serial, identity). */
function sequenceScope(ctx: CheckContext): string {
  const member = notExtensionMember('pg_class', 'c.oid');
  if (ctx.plan.publish.tables) {
    return `EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                       AND (tn.nspname, t.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))) AND ${member}`;
  }
  if (ctx.plan.publish.schemas) return `n.nspname = ANY ($1::text[]) AND ${member}`;
  return `NOT ${systemSchema('n')} AND ${member}`;
}

function sequenceScopeParams(ctx: CheckContext): unknown[] {
  const { publish } = ctx.plan;
  if (publish.tables) return [publish.tables.map((t) => planTableName(t).schema), publish.tables.map((t) => planTableName(t).name)];
  if (publish.schemas) return [publish.schemas];
  return [];
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
