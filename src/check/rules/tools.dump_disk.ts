import { formatBytes } from '../../pg/replication-state.js';
import { error, info, warning, type ToolRule } from '../rule.js';

export const rule: ToolRule = {
  id: 'tools.dump_disk',
  target: 'tools',
  severity: 'error',
  title: 'the dump directory has room for the published tables',
  docs: {
    why: 'If the disk fills, the dump fails and the slots keep holding WAL on the source until apply is rerun. A compressed dump is usually several times smaller than the tables (a warning); with dump.compress: 0 it is about as large (an error).',
    fix: 'Free space there, or point dump.directory at a larger filesystem, or enable compression (dump.compress).',
  },
  check: ({ dump_disk: { dir, free }, source }, { plan }) => {
    // copy.method stream writes only the schema there; the data never touches this disk.
    if (plan.copy?.method === 'stream') return info(`${formatBytes(free)} free under ${dir}`, 'copy.method stream writes only the schema there (kilobytes): the tables go from the source to the nodes without touching this disk.');
    if (!source) return info(`${formatBytes(free)} free under ${dir}`, 'The source could not be read, so its size was not compared.');
    const needed = source.published_size ?? source.database_size;
    const found = `${formatBytes(free)} free under ${dir}; ${source.published_size !== null ? 'the published tables hold' : 'the database is'} ${formatBytes(needed)}`;
    if (free >= needed) return info(found, 'Room for the dump, even uncompressed.');
    const compressed = plan.dump.compress !== 0;
    return (compressed ? warning : error)(
      found,
      compressed
        ? 'A compressed dump is usually several times smaller than the tables, but not always (already compressed or random data): if the disk fills, the dump fails and the slots keep holding WAL on the source until apply is rerun.'
        : 'With dump.compress: 0 the dump is about as large as the tables: it would fill the disk and fail, with the slots holding WAL on the source meanwhile.',
      `Free space there, or point dump.directory at a larger filesystem${compressed ? '' : ', or enable compression (dump.compress)'}.`,
    );
  },
};
