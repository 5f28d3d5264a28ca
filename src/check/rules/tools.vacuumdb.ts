import { installFix, wantedMajor } from '../client-programs.js';
import { warning, type ToolRule } from '../rule.js';

export const rule: ToolRule = {
  id: 'tools.vacuumdb',
  target: 'tools',
  severity: 'warning',
  title: 'vacuumdb is found, when the cutover runs it (cutover.vacuum)',
  docs: {
    why: 'The cutover rebuilds statistics on every node with vacuumdb (cutover.vacuum); without it that step fails after the switch.',
    fix: 'Install the PostgreSQL client programs and point tools.bin_dir at them, or set cutover.vacuum: false and ANALYZE the nodes yourself.',
  },
  check: (f, { plan }) => {
    const v = f.vacuumdb;
    if (!v || v.found) return undefined;
    return warning(`vacuumdb at ${v.path}: ${v.text}`, rule.docs.why, `${installFix(plan, wantedMajor(f))} Or set cutover.vacuum: false and ANALYZE the nodes yourself.`);
  },
};
