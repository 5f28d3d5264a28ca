import type { Verdict, SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.reachable',
  target: 'source',
  severity: 'error',
  title: 'the source accepts a connection and its catalogs can be read',
  docs: {
    why: 'Nothing can be migrated from a source that cannot be read, and the checks that compare with it (node versions, existing objects, extensions, roles, tool versions, disk) cannot be made.',
    fix: 'Check source.dsn, that the server is reachable from here, pg_hba.conf, and that the role may read the catalogs.',
  },
  // A source that answers has nothing to report here: the runner gives the
  // verdict below when the connection fails (see check/source.ts).
  check: () => undefined,
};

/** The connection failed: before anything was read, or during the checks (`during`). */
export function unreachable(text: string, during: boolean): Verdict {
  return {
    severity: 'error',
    found: text,
    why: during
      ? 'The connection to the source failed during its checks; those after the failure were not made.'
      : 'Nothing can be migrated from a source that cannot be read. The checks that compare with it (node versions, existing objects, extensions, roles, tool versions, disk) were not made.',
    fix: rule.docs.fix,
  };
}
