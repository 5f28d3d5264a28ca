import { extensionReady } from '../multimaster.js';
import type { NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.spock',
  target: 'node',
  severity: 'error',
  title: 'a pgedge node has Spock created, its local node, and the replication set',
  docs: {
    why: "A node of kind pgedge adds the restored tables to a Spock replication set (nodes[].replication_set); without the extension, its local node (spock.node_create) or the set, that step fails.",
    fix: 'On the node: CREATE EXTENSION spock; SELECT spock.node_create(...); SELECT spock.repset_create(...); or set kind: postgres for the node.',
  },
  check: (f) => extensionReady(f, 'spock'),
};
