// Checks of one target node: can it take the restore and run its subscription,
// and can it reach the source the way its subscription will. Read-only: the
// reachability test goes through dblink where present, never a subscription.
import type pg from 'pg';
import { pgErrorText } from '../pg/connect.js';
import { isUri, parseConninfo } from '../plan/conninfo.js';
import { quoteIdent, quoteLiteral } from '../render/quote.js';
import { subscriptionConnection } from '../render/describe.js';
import type { Node } from '../plan/plan.js';
import { listed, plural, type Finding } from './finding.js';
import { majorOf, probe, settingsOf, withCheckSession, type CheckResult } from './session.js';
import { qualified, type CheckContext, type RelKind, type SourceFacts } from './context.js';
import { sq } from './source.js';

export const NODE_CHECKS = [
  'node.reachable',
  'node.version',
  'node.privileges',
  'node.existing_objects',
  'node.existing_subscription',
  'node.roles',
  'node.extensions',
  'node.logical_replication_workers',
  'node.worker_processes',
  'node.replication_origins',
  'node.spock',
  'node.pglogical',
  'node.multimaster_settings',
  'node.forward_origins',
  'node.reaches_source',
] as const;

type NodeCheckId = (typeof NODE_CHECKS)[number];

/** How long the node may take to open its test connection to the source. */
const REACH_TIMEOUT_SECONDS = 10;

// Processes that do not take a max_worker_processes slot (PostgreSQL's own auxiliaries).
const NOT_BACKGROUND_WORKERS = ['client backend', 'autovacuum launcher', 'autovacuum worker', 'walsender', 'walwriter', 'checkpointer', 'background writer', 'startup', 'archiver', 'walreceiver', 'standalone backend'];

const DROP: Record<RelKind, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE', f: 'FOREIGN TABLE' };

/** The schema an extension is created in, or undefined when it is not created in this database. */
async function extensionSchema(c: pg.Client, name: string): Promise<string | undefined> {
  return (await c.query<{ schema: string }>('SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1', [name])).rows[0]?.schema;
}

/** Every check of one node; an unreachable node is one error finding. */
export async function checkNode(ctx: CheckContext, node: Node & { kind: string; replication_set: string }, source: SourceFacts | undefined): Promise<Finding[]> {
  try {
    return await withCheckSession(node.dsn, `node ${node.name}`, (c) => checkConnectedNode(c, ctx, node, source));
  } catch (e) {
    const text = pgErrorText(e);
    const noDatabase = /database "([^"]+)" does not exist/.exec(text);
    return [
      {
        id: 'node.reachable',
        severity: 'error',
        target: node.name,
        found: text,
        why: 'Every node receives the restore and runs a subscription; none of its other checks could run.',
        fix: noDatabase
          ? `Create the database on the node, empty: CREATE DATABASE ${quoteIdent(noDatabase[1])};`
          : `Check nodes[].dsn for ${node.name}, that the node is reachable from here, and its pg_hba.conf.`,
      },
    ];
  }
}

async function checkConnectedNode(c: pg.Client, ctx: CheckContext, node: Node & { kind: string; replication_set: string }, source: SourceFacts | undefined): Promise<Finding[]> {
  const { plan } = ctx;
  const r = plan.replication.find((x) => x.node === node.name)!;
  const out: Finding[] = [];
  const finding = (id: NodeCheckId, severity: Finding['severity'], found: string, why: string, fix?: string): Finding => ({ id, severity, target: node.name, found, why, ...(fix ? { fix } : {}) });
  const run = async (id: NodeCheckId, fn: () => Promise<CheckResult>) => out.push(...(await probe(id, node.name, fn)));
  const restored = ctx.started.has(`restore:${node.name}`);

  const settings = settingsOf(
    (
      await c.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings
          WHERE name IN ('server_version', 'server_version_num', 'max_logical_replication_workers', 'max_worker_processes',
                         'max_replication_slots', 'shared_preload_libraries', 'track_commit_timestamp')`,
      )
    ).rows,
  );
  const versionNum = Number(settings.get('server_version_num'));
  const me = (
    await c.query<{ user: string; superuser: boolean; privileged: boolean; can_subscribe: boolean }>(
      `SELECT r.rolname AS user, r.rolsuper AS superuser,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_superuser' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS privileged,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'pg_create_subscription' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS can_subscribe
         FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];

  await run('node.version', async () => {
    const version = settings.get('server_version') ?? String(versionNum);
    if (source && majorOf(versionNum) < source.major) {
      return finding(
        'node.version',
        'error',
        `PostgreSQL ${version}, older than the source's ${source.version}`,
        'A dump restores onto the same major version or a newer one; an older server rejects syntax and catalog entries the newer source produced.',
        `Use nodes running PostgreSQL ${source.major} or later.`,
      );
    }
    return finding('node.version', 'info', `PostgreSQL ${version}`, 'Not older than the source: the restore and the subscription can use what the source has.');
  });

  await run('node.privileges', async () => {
    if (me.superuser || me.privileged) return undefined;
    if (versionNum >= 160000 && me.can_subscribe) {
      return finding(
        'node.privileges',
        'warning',
        `role ${me.user} is not a superuser (it is a member of pg_create_subscription)`,
        "It may create the subscription, but moving the subscription's origin to the snapshot anchor (pg_replication_origin_advance) needs a superuser or an explicit grant.",
        `As a superuser on the node: GRANT EXECUTE ON FUNCTION pg_replication_origin_advance(text, pg_lsn) TO ${quoteIdent(me.user)};`,
      );
    }
    return finding(
      'node.privileges',
      'error',
      `role ${me.user} is not a superuser`,
      `CREATE SUBSCRIPTION needs a superuser on PostgreSQL ${majorOf(versionNum)}${versionNum >= 160000 ? ' (or pg_create_subscription)' : ''}, and moving its origin to the snapshot anchor (pg_replication_origin_advance) a superuser or an explicit grant.`,
      `Connect to the node as a superuser in nodes[].dsn (on RDS: the master user), or ALTER ROLE ${quoteIdent(me.user)} SUPERUSER;`,
    );
  });

  await run('node.existing_objects', async () => {
    if (!source) return undefined;
    if (restored) return finding('node.existing_objects', 'info', 'the restore of this plan has started on this node', "Objects the source also has are the restore's own (the journal says it ran); a rerun of apply restores over them.");
    const rels = (
      await c.query<{ schema: string; name: string; kind: RelKind }>(
        `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          ORDER BY 1, 2`,
        [source.relations.map((x) => x.schema), source.relations.map((x) => x.name)],
      )
    ).rows;
    const schemas = (await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY ($1) ORDER BY 1', [source.schemas])).rows.map((s) => s.nspname);
    if (!rels.length && !schemas.length) return undefined;
    const tables = rels.filter((x) => x.kind === 'r' || x.kind === 'p');
    const what = [
      tables.length ? `${plural(tables.length, 'table')} (${listed(tables.map((x) => qualified(x.schema, x.name)))})` : '',
      rels.length > tables.length ? `${plural(rels.length - tables.length, 'other relation')} (${listed(rels.filter((x) => !tables.includes(x)).map((x) => qualified(x.schema, x.name)))})` : '',
      schemas.length ? `${plural(schemas.length, 'schema')} (${listed(schemas)})` : '',
    ].filter(Boolean);
    return finding(
      'node.existing_objects',
      'error',
      `already holds ${what.join(', ')} that the restore would create`,
      'pg_restore stops at the first object that already exists (it runs with --exit-on-error), and rows already in a table would sit beside the restored ones.',
      `Restore into an empty database. If an earlier run of this plan restored them: migrate abort ${ctx.loaded.file} --drop-data. Otherwise, on ${node.name}, if they are not needed:\n` +
        listed([...rels.map((x) => `DROP ${DROP[x.kind]} ${sq(x.schema, x.name)};`), ...schemas.map((s) => `DROP SCHEMA ${quoteIdent(s)};`)], '\n'),
    );
  });

  await run('node.existing_subscription', async () => {
    const rows = (
      await c.query<{ subname: string; subenabled: boolean }>(
        'SELECT subname, subenabled FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        [r.subscription],
      )
    ).rows;
    if (!rows.length) return undefined;
    if (ctx.started.has(`subscription:${node.name}`)) {
      return finding('node.existing_subscription', 'info', `subscription ${r.subscription} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.');
    }
    const s = quoteIdent(r.subscription);
    return finding(
      'node.existing_subscription',
      'error',
      `subscription ${r.subscription} already exists (${rows[0].subenabled ? 'enabled' : 'disabled'})`,
      'apply creates the subscription at the snapshot anchor; one of that name from an earlier run would stream from the wrong position or collide with it.',
      `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise, on ${node.name}: ALTER SUBSCRIPTION ${s} DISABLE; ALTER SUBSCRIPTION ${s} SET (slot_name = NONE); DROP SUBSCRIPTION ${s};  (then drop its slot on the source).`,
    );
  });

  await run('node.roles', async () => {
    if (!source || !source.roles.length || restored) return undefined;
    const present = (await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY ($1)', [source.roles])).rows.map((x) => x.rolname);
    const missing = source.roles.filter((x) => !present.includes(x));
    if (!missing.length) return undefined;
    const { no_owner, no_privileges } = plan.restore;
    const flags = [!no_owner ? 'restore.no_owner: true' : '', !no_privileges ? 'restore.no_privileges: true' : ''].filter(Boolean).join(' and ');
    return finding(
      'node.roles',
      'error',
      `${plural(missing.length, 'role')} the dump names as owner or grantee ${missing.length === 1 ? 'does' : 'do'} not exist: ${listed(missing)}`,
      'pg_dump does not carry roles: the restore runs ALTER ... OWNER TO and GRANT for them, and stops at the first one missing.',
      `Create them on ${node.name} first (pg_dumpall --roles-only from the source shows their definitions): ${listed(missing.map((x) => `CREATE ROLE ${quoteIdent(x)};`), ' ')}\nor restore without them: ${flags} in the plan.`,
    );
  });

  await run('node.extensions', async () => {
    if (!source || !source.extensions.length) return undefined;
    const rows = (
      await c.query<{ name: string; installed_version: string | null }>('SELECT name, installed_version FROM pg_available_extensions WHERE name = ANY ($1)', [source.extensions.map((e) => e.name)])
    ).rows;
    const unavailable = source.extensions.filter((e) => !rows.some((x) => x.name === e.name));
    const out: Finding[] = [];
    if (unavailable.length) {
      out.push(
        finding(
          'node.extensions',
          'error',
          `${plural(unavailable.length, 'extension')} the source uses ${unavailable.length === 1 ? 'is' : 'are'} not available: ${listed(unavailable.map((e) => `${e.name} (source: ${e.version})`))}`,
          "Tables and functions restored from the source use them, and CREATE EXTENSION needs the extension's files on the node's server.",
          `Install the extension's package on ${node.name}'s server (on Debian: postgresql-${majorOf(versionNum)}-<extension>), or have the provider enable it.`,
        ),
      );
    }
    // A dump of chosen schemas or tables leaves CREATE EXTENSION out: the node must have them already.
    if (plan.publish.schemas || plan.publish.tables) {
      const notCreated = source.extensions.filter((e) => rows.some((x) => x.name === e.name && x.installed_version === null));
      if (notCreated.length) {
        out.push(
          finding(
            'node.extensions',
            'warning',
            `${plural(notCreated.length, 'extension')} the source uses ${notCreated.length === 1 ? 'is' : 'are'} available but not created in this database: ${listed(notCreated.map((e) => e.name))}`,
            'A dump of chosen schemas or tables does not create extensions; if the published tables use their types or functions, the restore fails.',
            listed(notCreated.map((e) => `CREATE EXTENSION ${quoteIdent(e.name)};`), ' '),
          ),
        );
      }
    }
    return out;
  });

  const subscriptionExists = Number(
    (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [r.subscription])).rows[0].n,
  );

  await run('node.logical_replication_workers', async () => {
    const enabled = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_subscription WHERE subenabled')).rows[0].n;
    const max = Number(settings.get('max_logical_replication_workers'));
    const needed = enabled + (subscriptionExists ? 0 : 1);
    if (max >= needed) return undefined;
    return finding(
      'node.logical_replication_workers',
      'error',
      `max_logical_replication_workers is ${max}; ${plural(enabled, 'enabled subscription')} already use${enabled === 1 ? 's' : ''} ${enabled}`,
      'Each enabled subscription (in any database of the server) needs an apply worker; without a free one the stream never starts.',
      `ALTER SYSTEM SET max_logical_replication_workers = ${needed + 2};  then restart PostgreSQL (max_worker_processes must be raised with it).`,
    );
  });

  await run('node.worker_processes', async () => {
    const used = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE NOT (backend_type = ANY ($1))', [NOT_BACKGROUND_WORKERS])).rows[0].n;
    const max = Number(settings.get('max_worker_processes'));
    const needed = subscriptionExists ? 0 : 1;
    if (max - used >= needed) return undefined;
    return finding(
      'node.worker_processes',
      'error',
      `max_worker_processes is ${max} and ${used} background workers run: none free for the subscription's apply worker`,
      'The apply worker is a background worker; every one (replication launcher, extensions, parallel query) comes out of max_worker_processes.',
      `ALTER SYSTEM SET max_worker_processes = ${used + needed + 4};  then restart PostgreSQL.`,
    );
  });

  await run('node.replication_origins', async () => {
    const used = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_origin')).rows[0].n;
    const max = Number(settings.get('max_replication_slots'));
    const needed = used + (subscriptionExists ? 0 : 1);
    if (max >= needed) return undefined;
    return finding(
      'node.replication_origins',
      'error',
      `max_replication_slots is ${max} and ${plural(used, 'replication origin')} exist${used === 1 ? 's' : ''}`,
      "On a subscriber, max_replication_slots also bounds the replication origins that track each subscription's progress; without a free one the subscription cannot be created.",
      `ALTER SYSTEM SET max_replication_slots = ${needed + 2};  then restart PostgreSQL.`,
    );
  });

  if (node.kind === 'pgedge' || node.kind === 'pglogical') {
    const ext = node.kind === 'pgedge' ? 'spock' : 'pglogical';
    const id: NodeCheckId = node.kind === 'pgedge' ? 'node.spock' : 'node.pglogical';
    const product = node.kind === 'pgedge' ? "pgEdge's Spock" : 'pglogical';
    await run(id, async () => {
      const installed = await extensionSchema(c, ext);
      if (!installed) {
        const available = (await c.query('SELECT 1 FROM pg_available_extensions WHERE name = $1', [ext])).rows.length > 0;
        return finding(
          id,
          'error',
          `the ${ext} extension is not ${available ? 'created in this database' : 'installed on this server'}`,
          `A node of kind ${node.kind} adds the restored tables to ${product} replication set ${node.replication_set}; without the extension that step fails.`,
          available ? `On ${node.name}: CREATE EXTENSION ${ext};  then create its node (${ext === 'spock' ? 'spock.node_create' : 'pglogical.create_node'}).` : `Install ${product} on ${node.name}'s server, or set kind: postgres for this node.`,
        );
      }
      const schema = quoteIdent(installed);
      const local = (await c.query(`SELECT 1 FROM ${schema}.local_node`)).rows.length > 0;
      if (!local) {
        return finding(
          id,
          'error',
          `${ext} is installed but no ${ext} node is created in this database`,
          `Replication sets belong to the local ${ext} node; adding tables to one fails without it.`,
          `On ${node.name}: SELECT ${ext === 'spock' ? `spock.node_create(node_name := ${quoteLiteral(node.name)}, dsn := '<this node as its peers reach it>')` : `pglogical.create_node(node_name := ${quoteLiteral(node.name)}, dsn := '<this node as its peers reach it>')`};`,
        );
      }
      const set = (await c.query(`SELECT 1 FROM ${schema}.replication_set WHERE set_name = $1`, [node.replication_set])).rows.length > 0;
      if (!set) {
        return finding(
          id,
          'error',
          `replication set ${node.replication_set} does not exist`,
          `apply adds the restored tables to nodes[].replication_set (${node.replication_set}).`,
          `On ${node.name}: SELECT ${ext === 'spock' ? 'spock.repset_create' : 'pglogical.create_replication_set'}(${quoteLiteral(node.replication_set)});  or set nodes[].replication_set to an existing one.`,
        );
      }
      return undefined;
    });
    await run('node.forward_origins', async () => {
      const installed = await extensionSchema(c, ext);
      if (!installed) return undefined; // reported by node.${ext}
      const subs = (await c.query<{ sub_name: string; origins: string[] | null }>(`SELECT sub_name, sub_forward_origins AS origins FROM ${quoteIdent(installed)}.subscription ORDER BY 1`)).rows;
      if (!subs.length) {
        return finding(
          'node.forward_origins',
          'info',
          `no ${ext} subscription to another node yet`,
          'After the cutover the nodes replicate to each other through these.',
          `Create them with forward_origins := '{}', so that changes that came from the source are not sent on again.`,
        );
      }
      const forwarding = subs.filter((x) => (x.origins ?? []).length > 0).map((x) => `${x.sub_name} (forward_origins ${JSON.stringify(x.origins)})`);
      if (!forwarding.length) return undefined;
      return finding(
        'node.forward_origins',
        'error',
        `${plural(forwarding.length, 'node-to-node subscription')} forward changes of other origins: ${listed(forwarding)}`,
        "Changes that arrive from the source carry its origin. A subscription that forwards them sends each one on to its peer, which already has it from the source: conflicts, and an apply worker that crashes and restarts in a loop.",
        `Recreate ${forwarding.length === 1 ? 'it' : 'them'} with forward_origins := '{}' (${ext === 'spock' ? 'spock.sub_create' : 'pglogical.create_subscription'}), before apply.`,
      );
    });
    await run('node.multimaster_settings', async () => {
      const preload = (settings.get('shared_preload_libraries') ?? '').split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
      const problems: string[] = [];
      if (!preload.includes(ext)) problems.push(`shared_preload_libraries (${settings.get('shared_preload_libraries') || 'empty'}) lacks ${ext}`);
      if (settings.get('track_commit_timestamp') !== 'on') problems.push('track_commit_timestamp is off');
      if (!problems.length) return undefined;
      const libs = [...preload.filter(Boolean).filter((l) => l !== ext), ext].join(',');
      return finding(
        'node.multimaster_settings',
        'error',
        problems.join('; '),
        `${product} runs its workers only when preloaded, and resolves conflicts between nodes by commit timestamp.`,
        `ALTER SYSTEM SET shared_preload_libraries = ${quoteLiteral(libs)}; ALTER SYSTEM SET track_commit_timestamp = on;  then restart PostgreSQL.`,
      );
    });
  }

  await run('node.reaches_source', () => reachesSource(c, ctx, node.name, finding));
  return out;
}

/**
 * Whether the node can open the connection its subscription will use. A
 * throwaway subscription would test it exactly but changes the node; dblink,
 * when the node has it, opens the same kind of libpq connection and changes
 * nothing. Without it the test is not possible from here, and we say so.
 */
async function reachesSource(
  c: pg.Client,
  ctx: CheckContext,
  nodeName: string,
  finding: (id: NodeCheckId, severity: Finding['severity'], found: string, why: string, fix?: string) => Finding,
): Promise<CheckResult> {
  const id: NodeCheckId = 'node.reaches_source';
  const dblink = await extensionSchema(c, 'dblink');
  if (!dblink) {
    return finding(
      id,
      'info',
      `cannot be tested from ${nodeName}: the dblink extension is not created there`,
      "Whether the node reaches the source with its subscription's connection string shows only when the subscription connects (apply, after the restore).",
      `To test it here first: CREATE EXTENSION dblink; on ${nodeName}, then run check again. By hand: psql '<the connection string>' -c 'SELECT 1' from ${nodeName}'s host.`,
    );
  }
  const conninfo = withConnectTimeout(subscriptionConnection(ctx.plan, nodeName, true));
  try {
    // Statement logging on the node would write the connection string (and its password) to the server log.
    await c.query("SET log_statement = 'none'; SET log_min_duration_statement = -1").catch(() => undefined);
    await c.query(`SELECT x FROM ${quoteIdent(dblink)}.dblink($1, 'SELECT 1') AS t(x int)`, [conninfo]);
    return undefined;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const text = pgErrorText(e);
    if (code === '2F003' || code === '42501') {
      // dblink lets a non-superuser connect only with a password; the subscription, created by a superuser, has no such limit.
      return finding(id, 'info', `cannot be tested from ${nodeName}: ${text}`, 'dblink refused to try the connection for this role, so reachability shows only when the subscription connects.');
    }
    return finding(
      id,
      'error',
      `${nodeName} cannot connect to the source with its subscription's connection string: ${text}`,
      "The subscription on this node streams from the source over that connection; apply would stop at its creation, with the slots already holding WAL on the source.",
      "Check, from the node's network: the host and port in source.subscriber_dsn / nodes[].source_dsn (default: source.dsn, which may name a host only this machine resolves), the source's pg_hba.conf for the node's address, firewalls, and the password (in the string or the node server's ~/.pgpass).",
    );
  }
}

/** The subscription's string with a bound on how long the test may wait for the source. */
export function withConnectTimeout(dsn: string): string {
  let info: Record<string, string>;
  try {
    info = parseConninfo(dsn);
  } catch {
    return dsn;
  }
  if (info.connect_timeout) return dsn;
  if (isUri(dsn)) return `${dsn}${dsn.includes('?') ? '&' : '?'}connect_timeout=${REACH_TIMEOUT_SECONDS}`;
  return `${dsn} connect_timeout=${REACH_TIMEOUT_SECONDS}`;
}
