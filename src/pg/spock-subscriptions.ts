// The Spock subscriptions between the nodes of a pgEdge cluster, as Spock
// reports them: after the cutover they carry every write from node to node.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';

export interface SpockSubscription {
  name: string;
  /** Spock's word: replicating, initializing, disabled, down, ... */
  status: string;
  provider: string;
  forward_origins: string[];
  replication_sets: string[];
}

/** Every Spock subscription of this node's database, or undefined when Spock is not created in it. */
export async function readSpockSubscriptions(node: pg.Client): Promise<SpockSubscription[] | undefined> {
  const schema = (await node.query<{ schema: string }>("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'spock'")).rows[0]?.schema;
  if (!schema) return undefined;
  const r = await node.query<{ name: string; status: string; provider: string; forward_origins: string[] | null; replication_sets: string[] | null }>(
    `SELECT subscription_name AS name, status, provider_node AS provider, forward_origins, replication_sets
       FROM ${quoteIdent(schema)}.sub_show_status() ORDER BY 1`,
  );
  return r.rows.map((x) => ({ name: x.name, status: x.status, provider: x.provider, forward_origins: x.forward_origins ?? [], replication_sets: x.replication_sets ?? [] }));
}
