// Spock (pgedge nodes) or pglogical: the extension, its local node, the
// replication set apply adds the tables to, and the node-to-node subscriptions.
import type pg from 'pg';
import { quoteIdent } from '../../render/quote.js';
import type { MultimasterFacts, NodeTarget } from '../facts.js';
import { readFacts } from './read-facts.js';

/** The schema an extension is created in, or undefined when it is not created in this database. */
export async function extensionSchema(c: pg.Client, name: string): Promise<string | undefined> {
  return (await c.query<{ schema: string }>('SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = $1', [name])).rows[0]?.schema;
}

export async function readMultimaster(c: pg.Client, node: NodeTarget): Promise<MultimasterFacts | undefined> {
  if (node.kind !== 'pgedge' && node.kind !== 'pglogical') return undefined;
  const extension = node.kind === 'pgedge' ? 'spock' : 'pglogical';
  // One lookup; every fact that depends on it fails with it.
  let lookup: Promise<string | undefined> | undefined;
  const schema = () => (lookup ??= extensionSchema(c, extension));
  const inSchema = async <T>(none: T, fn: (s: string) => Promise<T>): Promise<T> => {
    const s = await schema();
    return s ? fn(quoteIdent(s)) : none;
  };
  return readFacts({ extension } as { extension: MultimasterFacts['extension'] }, {
    schema,
    available: async () => (await c.query('SELECT 1 FROM pg_available_extensions WHERE name = $1', [extension])).rows.length > 0,
    local_node: () => inSchema(false, async (s) => (await c.query(`SELECT 1 FROM ${s}.local_node`)).rows.length > 0),
    replication_set: () => inSchema(false, async (s) => (await c.query(`SELECT 1 FROM ${s}.replication_set WHERE set_name = $1`, [node.replication_set])).rows.length > 0),
    subscriptions: () => inSchema([], async (s) => (await c.query<{ sub_name: string; origins: string[] | null }>(`SELECT sub_name, sub_forward_origins AS origins FROM ${s}.subscription ORDER BY 1`)).rows),
  });
}
