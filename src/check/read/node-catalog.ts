// Everything the node rules judge, read in one session on the node. Add a new
// fact of a node here (and to NodeFacts in ../facts.ts).
import type pg from 'pg';
import type { CheckContext, SourceFacts } from '../context.js';
import type { NodeFacts, NodeTarget } from '../facts.js';
import { readFacts } from './read-facts.js';
import { readNodeSummary } from './node-summary.js';
import { readAvailableExtensions, readExistingRelations, readExistingSchemas, readPresentRoles, readSubscription } from './node-objects.js';
import { readBackgroundWorkers, readEnabledSubscriptions, readReplicationOrigins } from './node-workers.js';
import { readMultimaster } from './multimaster.js';
import { readPgedge } from './pgedge.js';
import { readReach } from './node-reach.js';
import { readNodeLargeObjects, readSettingRoles, readWritable } from './node-readiness.js';

export async function readNodeFacts(c: pg.Client, ctx: CheckContext, node: NodeTarget, source: SourceFacts | undefined): Promise<NodeFacts> {
  const subscription_name = ctx.plan.replication.find((x) => x.node === node.name)!.subscription;
  const summary = await readNodeSummary(c);
  return readFacts(
    { node, subscription_name, source, ...summary },
    {
      existing_relations: () => readExistingRelations(c, source),
      existing_schemas: () => readExistingSchemas(c, source),
      subscription: () => readSubscription(c, ctx, subscription_name),
      present_roles: () => readPresentRoles(c, source),
      available_extensions: () => readAvailableExtensions(c, source),
      enabled_subscriptions: () => readEnabledSubscriptions(c),
      background_workers: () => readBackgroundWorkers(c),
      replication_origins: () => readReplicationOrigins(c),
      multimaster: () => readMultimaster(c, node),
      pgedge: () => readPgedge(c, ctx, node),
      reach: () => readReach(c, ctx, node.name),
      writable: () => readWritable(node),
      setting_roles: () => readSettingRoles(c, source),
      large_objects: () => readNodeLargeObjects(c),
    },
  );
}
