// What the node.spock and node.pglogical rules share: the same three steps,
// with each product's own names.
import { quoteLiteral } from '../render/quote.js';
import type { NodeFacts } from './facts.js';
import { error, type RuleResult } from './rule.js';

const PRODUCT = {
  spock: { kind: 'pgedge', name: "pgEdge's Spock", createNode: 'spock.node_create', createSet: 'spock.repset_create', createSubscription: 'spock.sub_create' },
  pglogical: { kind: 'pglogical', name: 'pglogical', createNode: 'pglogical.create_node', createSet: 'pglogical.create_replication_set', createSubscription: 'pglogical.create_subscription' },
} as const;

export function productOf(extension: 'spock' | 'pglogical') {
  return PRODUCT[extension];
}

/** The extension created, its local node, and the replication set apply adds the tables to. */
export function extensionReady(f: NodeFacts, extension: 'spock' | 'pglogical'): RuleResult {
  const m = f.multimaster;
  if (!m || m.extension !== extension) return undefined;
  const { node } = f;
  const p = PRODUCT[extension];
  if (!m.schema) {
    return error(
      `the ${extension} extension is not ${m.available ? 'created in this database' : 'installed on this server'}`,
      `A node of kind ${node.kind} adds the restored tables to ${p.name} replication set ${node.replication_set}; without the extension that step fails.`,
      m.available ? `On ${node.name}: CREATE EXTENSION ${extension};  then create its node (${p.createNode}).` : `Install ${p.name} on ${node.name}'s server, or set kind: postgres for this node.`,
    );
  }
  if (!m.local_node) {
    return error(
      `${extension} is installed but no ${extension} node is created in this database`,
      `Replication sets belong to the local ${extension} node; adding tables to one fails without it.`,
      `On ${node.name}: SELECT ${p.createNode}(node_name := ${quoteLiteral(node.name)}, dsn := '<this node as its peers reach it>');`,
    );
  }
  if (!m.replication_set) {
    return error(
      `replication set ${node.replication_set} does not exist`,
      `apply adds the restored tables to nodes[].replication_set (${node.replication_set}).`,
      `On ${node.name}: SELECT ${p.createSet}(${quoteLiteral(node.replication_set)});  or set nodes[].replication_set to an existing one.`,
    );
  }
  return undefined;
}
