import { majorOf } from '../session.js';
import { error, info, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.version',
  target: 'node',
  severity: 'error',
  title: "the node's PostgreSQL is not older than the source's",
  docs: {
    why: 'A dump restores onto the same major version or a newer one; an older server rejects syntax and catalog entries the newer source produced.',
    fix: "Use nodes running the source's major version of PostgreSQL or later.",
  },
  check: (f) => {
    if (f.source && majorOf(f.version_num) < f.source.major) {
      return error(
        `PostgreSQL ${f.version}, older than the source's ${f.source.version}`,
        'A dump restores onto the same major version or a newer one; an older server rejects syntax and catalog entries the newer source produced.',
        `Use nodes running PostgreSQL ${f.source.major} or later.`,
      );
    }
    return info(`PostgreSQL ${f.version}`, 'Not older than the source: the restore and the subscription can use what the source has.');
  },
};
