// Spock stamps the rows it applies with its 16-bit node id in the commit
// timestamp's origin field; PostgreSQL stamps rows a native subscription
// applies with that subscription's replication origin id. The two share one
// number space (Spock's limitations page advises against native subscriptions
// beside Spock for this reason): a native origin whose id equals a Spock node
// id makes rows from the source look as if that node had written them, and
// Spock's conflict resolution then judges them as such. The migration runs a
// native subscription on each node for its window only, and makes sure its
// origin id is no Spock node's.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';

export interface SpockNodeId {
  id: number;
  name: string;
}

/** Every Spock node this node knows (itself and its providers), or [] without Spock. */
export async function spockNodeIds(node: pg.Client): Promise<SpockNodeId[]> {
  const schema = (await node.query<{ schema: string }>("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'spock'")).rows[0]?.schema;
  if (!schema) return [];
  const r = await node.query<{ id: string; name: string }>(`SELECT node_id::text AS id, node_name::text AS name FROM ${quoteIdent(schema)}.node ORDER BY node_id`);
  return r.rows.map((x) => ({ id: Number(x.id), name: x.name }));
}

/** The id PostgreSQL gives the next replication origin created here: the lowest free one (replorigin_create scans up from 1). */
export async function nextOriginId(node: pg.Client): Promise<number> {
  const r = await node.query<{ id: number }>('SELECT min(g)::int AS id FROM generate_series(1, 65534) g WHERE g NOT IN (SELECT roident::int FROM pg_replication_origin)');
  return r.rows[0].id;
}

/** The id of the origin of a native subscription ('pg_' || its oid), or undefined when it has none here. */
export async function subscriptionOriginId(node: pg.Client, subscription: string): Promise<number | undefined> {
  const r = await node.query<{ id: number }>(
    `SELECT o.roident::int AS id FROM pg_subscription s JOIN pg_replication_origin o ON o.roname = 'pg_' || s.oid
      WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [subscription],
  );
  return r.rows[0]?.id;
}

/** The Spock node whose id an origin id would be taken for, if any. */
export function clashingNode(originId: number, nodes: SpockNodeId[]): SpockNodeId | undefined {
  return nodes.find((n) => n.id === originId);
}

/** How to move the next origin id past a Spock node's: placeholder origins take the ids below it. */
export function originClashFix(node: string, originId: number): string {
  return `On ${node}, take id ${originId} with a placeholder origin so that the subscription's gets the next free one: SELECT pg_replication_origin_create('pgedge_migrate_reserved_${originId}');  then run apply again (drop the placeholder after the cutover: SELECT pg_replication_origin_drop('pgedge_migrate_reserved_${originId}');).`;
}

/** One line: the ids in play, for the task's summary and the check. */
export function originIdsText(originId: number, nodes: SpockNodeId[]): string {
  return `origin id ${originId}; Spock node ids ${nodes.map((n) => `${n.id} (${n.name})`).join(', ') || 'none'}`;
}
