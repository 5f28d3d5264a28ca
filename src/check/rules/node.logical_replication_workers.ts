import { plural } from '../finding.js';
import { error, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.logical_replication_workers',
  target: 'node',
  severity: 'error',
  title: 'max_logical_replication_workers leaves an apply worker for the subscription',
  docs: {
    why: 'Each enabled subscription (in any database of the server) needs an apply worker; without a free one the stream never starts.',
    fix: 'ALTER SYSTEM SET max_logical_replication_workers = <more>; then restart PostgreSQL (max_worker_processes must be raised with it).',
  },
  check: (f) => {
    const enabled = f.enabled_subscriptions;
    const max = f.settings.max_logical_replication_workers;
    const needed = enabled + (f.subscription ? 0 : 1);
    if (max >= needed) return undefined;
    return error(
      `max_logical_replication_workers is ${max}; ${plural(enabled, 'enabled subscription')} already use${enabled === 1 ? 's' : ''} ${enabled}`,
      rule.docs.why,
      `ALTER SYSTEM SET max_logical_replication_workers = ${needed + 2};  then restart PostgreSQL (max_worker_processes must be raised with it).`,
    );
  },
};
