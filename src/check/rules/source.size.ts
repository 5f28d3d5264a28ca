import { formatBytes } from '../../pg/replication-state.js';
import { info, type SourceRule } from '../rule.js';

const WHY = "The dump holds about the tables' size (less with compression), each node needs room for the whole restored database, and the slots hold the WAL the source writes until the restores are done and the nodes have caught up.";

export const rule: SourceRule = {
  id: 'source.size',
  target: 'source',
  severity: 'info',
  title: 'the database and its published tables are measured',
  docs: { why: WHY, fix: 'Nothing to do: a note for planning disk and time.' },
  check: (f) =>
    info(`database ${f.database} is ${formatBytes(f.database_size)}${f.published_size !== null ? `; the published tables hold about ${formatBytes(f.published_size)} (without indexes)` : ''}`, WHY),
};
