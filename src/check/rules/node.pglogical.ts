import { extensionReady } from '../multimaster.js';
import type { NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.pglogical',
  target: 'node',
  severity: 'error',
  title: 'a pglogical node has pglogical created, its local node, and the replication set',
  docs: {
    why: 'A node of kind pglogical adds the restored tables to a pglogical replication set (nodes[].replication_set); without the extension, its local node (pglogical.create_node) or the set, that step fails.',
    fix: 'On the node: CREATE EXTENSION pglogical; SELECT pglogical.create_node(...); SELECT pglogical.create_replication_set(...); or set kind: postgres for the node.',
  },
  check: (f) => extensionReady(f, 'pglogical'),
};
