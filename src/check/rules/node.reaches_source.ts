import { error, info, type NodeRule } from '../rule.js';

const FIX =
  "Check, from the node's network: the host and port in source.subscriber_dsn / nodes[].source_dsn (default: source.dsn, which may name a host only this machine resolves), the source's pg_hba.conf for the node's address, firewalls, and the password (in the string or the node server's ~/.pgpass).";

export const rule: NodeRule = {
  id: 'node.reaches_source',
  target: 'node',
  severity: 'error',
  title: "the node reaches the source with its subscription's connection string (tested with dblink)",
  docs: {
    why: "The subscription on each node streams from the source over that connection; apply would stop at its creation, with the slots already holding WAL on the source. The test opens the same kind of connection through dblink when the node has it, and changes nothing; without dblink it cannot be made from here (a note).",
    fix: FIX,
  },
  check: ({ reach, node }) => {
    if (!reach.tested) {
      return info(
        `cannot be tested from ${node.name}: the dblink extension is not created there`,
        "Whether the node reaches the source with its subscription's connection string shows only when the subscription connects (apply, after the restore).",
        `To test it here first: CREATE EXTENSION dblink; on ${node.name}, then run check again. By hand: psql '<the connection string>' -c 'SELECT 1' from ${node.name}'s host.`,
      );
    }
    if (!reach.error) return undefined;
    if (reach.error.code === '2F003' || reach.error.code === '42501') {
      // dblink lets a non-superuser connect only with a password; the subscription, created by a superuser, has no such limit.
      return info(`cannot be tested from ${node.name}: ${reach.error.text}`, 'dblink refused to try the connection for this role, so reachability shows only when the subscription connects.');
    }
    return error(
      `${node.name} cannot connect to the source with its subscription's connection string: ${reach.error.text}`,
      "The subscription on this node streams from the source over that connection; apply would stop at its creation, with the slots already holding WAL on the source.",
      FIX,
    );
  },
};
