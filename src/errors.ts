// Every failure a user can act on is one of these. The CLI prints `message`
// (and `hint` when there is one) once, at the top, and exits with `exitCode`:
// 1 a run failed or found problems, 2 the plan or the command line is wrong.
import type { Problem } from './plan/problem.js';

export abstract class MigrateError extends Error {
  abstract readonly exitCode: 1 | 2;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The plan file cannot be used: every problem found, each with its position. */
export class PlanInvalidError extends MigrateError {
  readonly exitCode = 2 as const;
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the plan`);
  }
}

/** The command line asks for something that cannot be done as asked. */
export class UsageError extends MigrateError {
  readonly exitCode = 2 as const;
}

/** A run started and did not finish; the hint says how to resume or abort. */
export class RunFailedError extends MigrateError {
  readonly exitCode = 1 as const;
}

/** Another apply (or cutover) of the same plan holds the lock. */
export class LockHeldError extends MigrateError {
  readonly exitCode = 1 as const;
}

/** A database or a tool said no; `detail` is what it said, already redacted. */
export class OperationError extends MigrateError {
  readonly exitCode = 1 as const;
}

/** The operator stopped the run (Ctrl-C, SIGTERM). */
export class InterruptedError extends MigrateError {
  readonly exitCode = 1 as const;
  constructor() {
    super('interrupted');
  }
}

/**
 * The journal (or another state file) could not be written: the run stops at
 * once, since what it does next could not be recorded. The old file is intact.
 */
export class JournalWriteError extends MigrateError {
  readonly exitCode = 1 as const;
  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(
      `could not write ${path} (${cause.code ?? ''}${cause.code ? ': ' : ''}${cause.message}); the run stopped here and the previous ${path.endsWith('journal.json') ? 'journal' : 'file'} is intact`,
      cause.code === 'ENOSPC' ? 'The disk of the state directory is full: free space there, then run the same command again (it resumes from the journal).' : 'Make the state directory writable, then run the same command again (it resumes from the journal).',
    );
  }
}

/** The journal exists but cannot be read: abort and status fall back on the live catalogs. */
export class JournalUnreadableError extends MigrateError {
  readonly exitCode = 1 as const;
}

/** An object on the source or a node belongs to another run of the migration (or to no run): refused unless taken over. */
export class ForeignRunError extends MigrateError {
  readonly exitCode = 1 as const;
}
