// The one place errors become output and exit codes:
// 0 success, 1 a run failed or found problems, 2 invalid plan or usage.
import { MigrateError, PlanInvalidError } from '../errors.js';
import { formatProblem } from '../plan/problem.js';

export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

export function reportError(e: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (e instanceof PlanInvalidError) {
    for (const p of e.problems) write(formatProblem(p) + '\n');
    const errors = e.problems.filter((p) => p.severity === 'error').length;
    write(`${errors} error${errors === 1 ? '' : 's'}; nothing was changed.\n`);
    return e.exitCode;
  }
  if (e instanceof MigrateError) {
    write(`migrate: ${e.message}\n`);
    if (e.hint) write(`${e.hint}\n`);
    return e.exitCode;
  }
  // A bug of ours, not the user's input: still no stack trace unless asked for.
  const err = e as Error;
  write(`migrate: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.MIGRATE_DEBUG) write(`${err?.stack ?? ''}\n`);
  else write('Set MIGRATE_DEBUG=1 to see where it happened, and please report it.\n');
  return EXIT.failed;
}
