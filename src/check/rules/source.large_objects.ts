import { plural } from '../finding.js';
import { info, warning, type SourceRule } from '../rule.js';

const WHY =
  'The dump copies large objects as they are at the snapshot, and logical replication never carries large objects: a large object created, changed or removed on the source after the snapshot (from apply until the switch) is NOT carried to the nodes, which keep the snapshot\'s version.';
const FIX =
  'Keep large objects unchanged from apply until the switch (or move them to bytea columns, which replicate, before migrating). migrate verify and the cutover compare them by oid and name every one that differs; copy such a one by hand (lo_get on the source, lo_from_bytea or lo_put on every node) before the switch.';

export const rule: SourceRule = {
  id: 'source.large_objects',
  target: 'source',
  severity: 'warning',
  title: 'large objects, whose changes after the snapshot are not carried, are named',
  docs: { why: `${WHY} A dump of chosen schemas or tables leaves them out altogether.`, fix: FIX },
  check: (f, { plan }) => {
    const n = f.large_objects;
    if (!n) return undefined;
    if (plan.publish.schemas || plan.publish.tables) {
      return info(`${plural(n, 'large object')} in pg_largeobject`, 'A dump of chosen schemas or tables leaves large objects out, and replication never carries them: the nodes will not have them.', 'If the migrated tables reference them (oid columns), they must be copied separately.');
    }
    return warning(`${plural(n, 'large object')} in pg_largeobject: changes to them after the snapshot are not carried to the nodes`, WHY, FIX);
  },
};
