// pgEdge nodes on loopback: PostgreSQL with Spock's patches, Spock and
// Snowflake, built from ../shared/vendor/pgedge (build.sh) into one prefix.
// The sandbox's --pgedge and the tests start them beside a stock PostgreSQL
// source and join them in a Spock mesh, as a pgEdge cluster is made.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startLocalClusters, type LocalCluster } from './local-cluster.js';
import { OperationError } from '../errors.js';

export const PGEDGE_PREFIX_DEFAULT = '/opt/pgedge-15.18-spock-5.0.11';

export const PGEDGE_BUILD_HINT =
  'build it once (about 3 minutes): apt-get install -y build-essential patch bzip2 zlib1g-dev pkg-config && ' +
  `TARBALLS=$PWD/../shared/vendor/pgedge SKIP_SPOCKCTRL=1 bash ../shared/vendor/pgedge/build.sh ${PGEDGE_PREFIX_DEFAULT} (or run .ci/run), or set PGEDGE_PREFIX to where it is`;

/** The prefix holding the pgEdge stack: explicit, PGEDGE_PREFIX, then the build's default. */
export function pgedgePrefix(explicit?: string): string {
  return explicit ?? process.env.PGEDGE_PREFIX ?? PGEDGE_PREFIX_DEFAULT;
}

/** Why the stack cannot be used from this prefix, or undefined when it can. */
export function pgedgeMissing(prefix = pgedgePrefix()): string | undefined {
  for (const f of [path.join('bin', 'postgres'), path.join('lib', 'postgresql', 'spock.so'), path.join('lib', 'postgresql', 'snowflake.so')]) {
    if (!existsSync(path.join(prefix, f))) return `${path.join(prefix, f)} is missing`;
  }
  return undefined;
}

/**
 * A node as pgEdge runs one: Spock preloaded, commit timestamps for its
 * conflict resolution, a distinct snowflake.node, and automatic DDL
 * replication on (pgEdge's own setup turns it on, so the migration must be
 * safe with it).
 */
export function pgedgeNodeSettings(snowflakeNode: number): Record<string, string | number> {
  return {
    shared_preload_libraries: 'spock',
    track_commit_timestamp: 'on',
    'snowflake.node': snowflakeNode,
    max_worker_processes: 24,
    'spock.enable_ddl_replication': 'on',
    'spock.include_ddl_repset': 'on',
    'spock.allow_ddl_from_functions': 'on',
  };
}

/** Starts pgEdge nodes named as given; snowflake.node is each one's position, from 1. */
/** Refuses, saying how to build it, when the stack is not in the prefix. */
export function requirePgedge(prefix = pgedgePrefix()): void {
  const missing = pgedgeMissing(prefix);
  if (missing) throw new OperationError(`the pgEdge stack is not built: ${missing}`, `To ${PGEDGE_BUILD_HINT}.`);
}

export async function startPgedgeNodes(names: string[], prefix = pgedgePrefix()): Promise<LocalCluster[]> {
  requirePgedge(prefix);
  const started: LocalCluster[] = [];
  try {
    // One by one: each needs its own snowflake.node.
    for (const [i, name] of names.entries()) {
      started.push(...(await startLocalClusters([name], { binDir: path.join(prefix, 'bin'), settings: pgedgeNodeSettings(i + 1) })));
    }
  } catch (e) {
    await Promise.all(started.map((c) => c.stop()));
    throw e;
  }
  return started;
}

/**
 * How the nodes reach each other: over the Unix socket, where the local
 * clusters trust local connections, so no password lands in Spock's catalogs.
 */
export function spockDsn(node: LocalCluster, db: string): string {
  return `host=${path.dirname(node.dataDir)} port=${node.port} dbname=${db} user=postgres`;
}

export function spockSubscriptionName(me: string, provider: string): string {
  return `sub_${me}_${provider}`.replace(/[^a-z0-9_]/g, '_');
}

/**
 * A Spock mesh in every direction over the database `db` of each node:
 * spock and snowflake created, each node's Spock node created, and a
 * subscription from every node to every other, forwarding no other origin
 * (changes a node received from the migration's source must not be sent on).
 */
export async function createSpockMesh(nodes: LocalCluster[], db: string, timeoutMs = 60_000): Promise<void> {
  for (const n of nodes) {
    await n.exec('CREATE EXTENSION IF NOT EXISTS spock; CREATE EXTENSION IF NOT EXISTS snowflake;', db);
    await n.query('SELECT spock.node_create($1, $2)', [n.name, spockDsn(n, db)], db);
  }
  for (const me of nodes) {
    for (const provider of nodes.filter((p) => p !== me)) {
      await me.query("SELECT spock.sub_create($1, $2, '{default,default_insert_only,ddl_sql}', false, false, '{}')", [spockSubscriptionName(me.name, provider.name), spockDsn(provider, db)], db);
    }
  }
  await waitForSpockMesh(nodes, db, timeoutMs);
}

export async function waitForSpockMesh(nodes: LocalCluster[], db: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of nodes) {
    for (;;) {
      const rows = await n.query<{ subscription_name: string; status: string }>('SELECT subscription_name, status FROM spock.sub_show_status()', [], db);
      if (rows.length === nodes.length - 1 && rows.every((r) => r.status === 'replicating')) break;
      if (Date.now() > deadline) throw new OperationError(`Spock subscriptions on ${n.name} are not all replicating: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
