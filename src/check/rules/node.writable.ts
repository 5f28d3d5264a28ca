import { error, type NodeRule } from '../rule.js';

const WHY = 'pg_restore and the subscription write on the node: on a hot standby, or in a database whose sessions start read-only, apply would fail only after the slots exist on the source (and hold WAL there).';

export const rule: NodeRule = {
  id: 'node.writable',
  target: 'node',
  severity: 'error',
  title: 'the node can take writes (not a hot standby, sessions not read-only)',
  docs: {
    why: WHY,
    fix: 'Point the node at a primary; reset default_transaction_read_only where it is set (ALTER DATABASE or ALTER ROLE ... RESET, from another database).',
  },
  check: (f) => (f.writable ? error(f.writable.found, WHY, f.writable.fix) : undefined),
};
