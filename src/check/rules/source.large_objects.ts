import { plural } from '../finding.js';
import { info, warning, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.large_objects',
  target: 'source',
  severity: 'warning',
  title: 'large objects, which replication does not carry, are named',
  docs: {
    why: 'The dump copies large objects as of the snapshot, but logical replication does not carry large-object writes: one created or changed during the migration is missing or stale on the nodes. A dump of chosen schemas or tables leaves them out altogether.',
    fix: 'Keep large objects unchanged from apply until the switch, or move them to bytea columns before migrating; compare them on the nodes (lo_get) before switching.',
  },
  check: (f, { plan }) => {
    const n = f.large_objects;
    if (!n) return undefined;
    if (plan.publish.schemas || plan.publish.tables) {
      return info(`${plural(n, 'large object')} in pg_largeobject`, 'A dump of chosen schemas or tables leaves large objects out, and replication never carries them: the nodes will not have them.', 'If the migrated tables reference them (oid columns), they must be copied separately.');
    }
    return warning(
      `${plural(n, 'large object')} in pg_largeobject`,
      'The dump copies large objects as of the snapshot, but logical replication does not carry large-object writes: one created or changed during the migration is missing or stale on the nodes.',
      'Keep large objects unchanged from apply until the switch, or move them to bytea columns before migrating; compare them on the nodes (lo_get) before switching.',
    );
  },
};
