import { quoteIdent } from '../../render/quote.js';
import type { NodeRule, Verdict } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.reachable',
  target: 'node',
  severity: 'error',
  title: 'the node accepts a connection to its database',
  docs: {
    why: 'Every node receives the restore and runs a subscription; none of its other checks can run without a connection.',
    fix: "Check nodes[].dsn, that the node is reachable from here, and its pg_hba.conf; if its database does not exist, create it, empty.",
  },
  // A node that answers has nothing to report here: the runner gives the
  // verdict below when the connection fails (see check/nodes.ts).
  check: () => undefined,
};

export function unreachable(text: string, nodeName: string): Verdict {
  const noDatabase = /database "([^"]+)" does not exist/.exec(text);
  return {
    severity: 'error',
    found: text,
    why: 'Every node receives the restore and runs a subscription; none of its other checks could run.',
    fix: noDatabase ? `Create the database on the node, empty: CREATE DATABASE ${quoteIdent(noDatabase[1])};` : `Check nodes[].dsn for ${nodeName}, that the node is reachable from here, and its pg_hba.conf.`,
  };
}
