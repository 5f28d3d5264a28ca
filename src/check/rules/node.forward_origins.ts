import { listed, plural } from '../finding.js';
import { productOf } from '../multimaster.js';
import { error, info, type NodeRule } from '../rule.js';

const WHY =
  'Changes that arrive from the source carry its origin. A subscription that forwards them sends each one on to its peer, which already has it from the source: conflicts, and an apply worker that crashes and restarts in a loop.';

export const rule: NodeRule = {
  id: 'node.forward_origins',
  target: 'node',
  severity: 'error',
  title: "a multi-master node's node-to-node subscriptions do not forward other origins",
  docs: { why: WHY, fix: "Recreate the node-to-node subscriptions with forward_origins := '{}' (spock.sub_create, pglogical.create_subscription), before apply." },
  check: (f) => {
    const m = f.multimaster;
    if (!m || !m.schema) return undefined; // reported by node.spock / node.pglogical
    if (!m.subscriptions.length) {
      return info(`no ${m.extension} subscription to another node yet`, 'After the cutover the nodes replicate to each other through these.', `Create them with forward_origins := '{}', so that changes that came from the source are not sent on again.`);
    }
    const forwarding = m.subscriptions.filter((x) => (x.origins ?? []).length > 0).map((x) => `${x.sub_name} (forward_origins ${JSON.stringify(x.origins)})`);
    if (!forwarding.length) return undefined;
    return error(
      `${plural(forwarding.length, 'node-to-node subscription')} forward changes of other origins: ${listed(forwarding)}`,
      WHY,
      `Recreate ${forwarding.length === 1 ? 'it' : 'them'} with forward_origins := '{}' (${productOf(m.extension).createSubscription}), before apply.`,
    );
  },
};
