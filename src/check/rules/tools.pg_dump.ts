import { programFine, programProblem } from '../client-programs.js';
import type { ToolRule } from '../rule.js';

export const rule: ToolRule = {
  id: 'tools.pg_dump',
  target: 'tools',
  severity: 'error',
  title: "pg_dump is found and not older than the source's PostgreSQL",
  docs: {
    why: 'apply runs pg_dump, which takes the dump at the snapshot anchor; pg_dump refuses to dump a server of a newer major version ("aborting because of server version mismatch").',
    fix: "Install the source's major version of the PostgreSQL client programs and point tools.bin_dir at them (Debian: /usr/lib/postgresql/<major>/bin), or put them first on PATH.",
  },
  check: (f, { plan }) =>
    programProblem(f, plan, f.pg_dump, 'pg_dump', 'takes the dump at the snapshot anchor', 'pg_dump refuses to dump a server of a newer major version ("aborting because of server version mismatch").') ?? programFine(f, f.pg_dump),
};
