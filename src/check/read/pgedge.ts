// A pgedge node's Spock and Snowflake, beyond what read/multimaster.ts shares
// with pglogical: the DDL replication settings, Spock's view of the mesh, the
// origin id the migration's subscription gets, and snowflake.node here and on
// the plan's other pgedge nodes (distinct ids are a property of the cluster).
import type pg from 'pg';
import type { CheckContext } from '../context.js';
import type { NodeTarget, PgedgeFacts, SnowflakeFacts } from '../facts.js';
import { readFacts } from './read-facts.js';
import { extensionSchema } from './multimaster.js';
import { readSpockSubscriptions } from '../../pg/spock-subscriptions.js';
import { nextOriginId, spockNodeIds, subscriptionOriginId } from '../../pg/spock-origins.js';
import { withCheckSession } from '../session.js';
import { pgErrorText } from '../../pg/connect.js';

const SETTING = "SELECT current_setting($1, true) AS v";

async function setting(c: pg.Client, name: string): Promise<string | null> {
  return (await c.query<{ v: string | null }>(SETTING, [name])).rows[0].v ?? null;
}

export async function readPgedge(c: pg.Client, ctx: CheckContext, node: NodeTarget): Promise<PgedgeFacts | undefined> {
  if (node.kind !== 'pgedge') return undefined;
  const subscription = ctx.plan.replication.find((r) => r.node === node.name)!.subscription;
  return readFacts({} as object, {
    ddl: async () => ({
      enable_ddl_replication: await setting(c, 'spock.enable_ddl_replication'),
      include_ddl_repset: await setting(c, 'spock.include_ddl_repset'),
      allow_ddl_from_functions: await setting(c, 'spock.allow_ddl_from_functions'),
      deny_all_ddl: await setting(c, 'spock.deny_all_ddl'),
    }),
    spock_status: async () => ((await readSpockSubscriptions(c)) ?? []).map((s) => ({ name: s.name, status: s.status, provider: s.provider })),
    origin: async () => {
      const existing = await subscriptionOriginId(c, subscription);
      return { id: existing ?? (await nextOriginId(c)), existing: existing !== undefined, spock_nodes: await spockNodeIds(c) };
    },
    snowflake: () => readSnowflake(c, ctx, node),
  }) as Promise<PgedgeFacts>;
}

async function readSnowflake(c: pg.Client, ctx: CheckContext, node: NodeTarget): Promise<SnowflakeFacts | undefined> {
  if (ctx.plan.cutover.sequences.strategy !== 'snowflake') return undefined;
  const peers = await Promise.all(
    ctx.plan.nodes
      .filter((n) => n.kind === 'pgedge' && n.name !== node.name)
      .map(async (n) => {
        try {
          return { name: n.name, node: await withCheckSession(n.dsn, `node ${n.name}`, (p) => setting(p, 'snowflake.node')) };
        } catch (e) {
          return { name: n.name, node: null, error: pgErrorText(e) };
        }
      }),
  );
  return {
    created: (await extensionSchema(c, 'snowflake')) !== undefined,
    available: (await c.query("SELECT 1 FROM pg_available_extensions WHERE name = 'snowflake'")).rows.length > 0,
    node: await setting(c, 'snowflake.node'),
    peers,
  };
}
