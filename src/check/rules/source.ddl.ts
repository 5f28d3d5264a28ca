import { info, type SourceRule } from '../rule.js';

const WHY = 'CREATE, ALTER and DROP on the source after the snapshot do not reach the nodes; a column added to a published table stops the stream at the next row that has it.';
const FIX = 'Freeze schema changes from apply until the switch. If one cannot wait: apply it on every node first, then on the source; a new table also needs ALTER SUBSCRIPTION ... REFRESH PUBLICATION on each node, or the nodes discard its changes. `migrate status` names every published table and column a node misses, with the exact fix.';

export const rule: SourceRule = {
  id: 'source.ddl',
  target: 'source',
  severity: 'info',
  title: 'a reminder that schema changes (DDL) are not replicated',
  docs: { why: WHY, fix: FIX },
  check: () => info('schema changes (DDL) are not replicated', WHY, FIX),
};
