import { plural } from '../finding.js';
import { error, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.replication_origins',
  target: 'node',
  severity: 'error',
  title: "max_replication_slots on the node leaves a replication origin for the subscription",
  docs: {
    why: "On a subscriber, max_replication_slots also bounds the replication origins that track each subscription's progress; without a free one the subscription cannot be created.",
    fix: 'ALTER SYSTEM SET max_replication_slots = <more>; on the node, then restart PostgreSQL.',
  },
  check: (f) => {
    const used = f.replication_origins;
    const max = f.settings.max_replication_slots;
    const needed = used + (f.subscription ? 0 : 1);
    if (max >= needed) return undefined;
    return error(
      `max_replication_slots is ${max} and ${plural(used, 'replication origin')} exist${used === 1 ? 's' : ''}`,
      rule.docs.why,
      `ALTER SYSTEM SET max_replication_slots = ${needed + 2};  then restart PostgreSQL.`,
    );
  },
};
