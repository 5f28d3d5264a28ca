import { plural } from '../finding.js';
import { info, type SourceRule } from '../rule.js';

const WHY = 'Temporary tables belong to their session: neither pg_dump nor replication carries them. Applications recreate them on the nodes as they do on the source.';

export const rule: SourceRule = {
  id: 'source.temporary_tables',
  target: 'source',
  severity: 'info',
  title: 'temporary tables open in sessions are named',
  docs: { why: WHY, fix: 'Nothing to do: a note.' },
  check: (f) => (f.temporary_tables ? info(`${plural(f.temporary_tables, 'temporary table')} open in sessions now`, WHY) : undefined),
};
