import { error, type ToolRule } from '../rule.js';

const WHY = 'apply writes the dump there after the slots exist on the source: a directory it cannot use fails the run then, with the slots holding WAL until it is rerun.';

export const rule: ToolRule = {
  id: 'tools.dump_directory',
  target: 'tools',
  severity: 'error',
  title: 'the dump directory can be written, and holds nothing but a dump',
  docs: { why: WHY, fix: 'Point dump.directory at an empty or new directory on a writable filesystem.' },
  check: ({ dump_directory: d }) => (d.problem ? error(d.problem.found, WHY, d.problem.fix) : undefined),
};
