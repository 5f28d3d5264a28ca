import { error, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.worker_processes',
  target: 'node',
  severity: 'error',
  title: "max_worker_processes leaves room for the subscription's apply worker",
  docs: {
    why: 'The apply worker is a background worker; every one (replication launcher, extensions, parallel query) comes out of max_worker_processes.',
    fix: 'ALTER SYSTEM SET max_worker_processes = <more>; then restart PostgreSQL.',
  },
  check: (f) => {
    const used = f.background_workers;
    const max = f.settings.max_worker_processes;
    const needed = f.subscription ? 0 : 1;
    if (max - used >= needed) return undefined;
    return error(
      `max_worker_processes is ${max} and ${used} background workers run: none free for the subscription's apply worker`,
      rule.docs.why,
      `ALTER SYSTEM SET max_worker_processes = ${used + needed + 4};  then restart PostgreSQL.`,
    );
  },
};
