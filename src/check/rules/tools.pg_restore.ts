import { installFix, programFine, programProblem } from '../client-programs.js';
import { error, type ToolRule } from '../rule.js';

export const rule: ToolRule = {
  id: 'tools.pg_restore',
  target: 'tools',
  severity: 'error',
  title: 'pg_restore is found and not older than the source or pg_dump',
  docs: {
    why: 'apply runs pg_restore, which restores the dump onto every node; it must understand everything the source\'s dump contains, and cannot read an archive written by a newer pg_dump ("unsupported version in file header").',
    fix: "Install the source's major version of the PostgreSQL client programs and point tools.bin_dir at them (Debian: /usr/lib/postgresql/<major>/bin), or put them first on PATH.",
  },
  check: (f, { plan }) => {
    const tool = f.pg_restore;
    const older = f.source ? 'pg_restore must understand everything a PostgreSQL ' + f.source.major + ' dump contains.' : '';
    const problem = programProblem(f, plan, tool, 'pg_restore', 'restores the dump onto every node', older);
    if (problem) return problem;
    const dump = f.pg_dump;
    if (dump.major !== undefined && tool.major! < dump.major) {
      return error(`${tool.text} (${tool.path}) is older than pg_dump (${dump.text})`, 'pg_restore cannot read an archive written by a newer pg_dump ("unsupported version in file header").', installFix(plan, dump.major));
    }
    return programFine(f, tool);
  },
};
