// One dump directory, one run: an owner file beside the directory (pg_dump
// -Fd refuses a directory that holds anything, so it cannot go inside) says
// which run's dump it holds, so that another run neither replaces that dump
// while it is being restored nor restores from it.
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { parseIdentity, isOurs, describeRun, type RunIdentity } from './run-identity.js';
import { ForeignRunError, OperationError } from '../errors.js';

export function claimFile(dumpDir: string): string {
  return join(dirname(dumpDir), `${basename(dumpDir)}.owner.json`);
}

/** Claims the directory for this run, or throws naming the run that holds it. */
export function claimDumpDirectory(dumpDir: string, me: RunIdentity, opts: { takeOver?: boolean; command: string }): { tookOverFrom?: RunIdentity } {
  const path = claimFile(dumpDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(me, null, 2) + '\n');
      } finally {
        closeSync(fd);
      }
      return {};
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new OperationError(`cannot claim the dump directory ${dumpDir}: ${path}: ${(e as Error).message}`, 'The directory that holds the dump directory must be writable: migrate keeps a small owner file beside it.');
    }
    const holder = existsSync(path) ? parseIdentity(readFileSync(path, 'utf8')) : undefined;
    if (holder && isOurs(holder, me, me.state_dir)) return {};
    if (holder && !opts.takeOver) {
      throw new ForeignRunError(
        `the dump directory ${dumpDir} is in use by another run: ${describeRun(holder)}`,
        `Its dump is restored, and redone, by that run: give this plan its own dump.directory. If that run is gone for good, run ${opts.command} again with --take-over (or remove ${path}).`,
      );
    }
    // Unreadable (cut off while written) or taken over: replaced by ours.
    rmSync(path, { force: true });
    if (holder) {
      claimDumpDirectory(dumpDir, me, opts);
      return { tookOverFrom: holder };
    }
  }
  throw new OperationError(`could not claim the dump directory ${dumpDir} (${path})`);
}

/** Gives the directory up, if it is ours: after an abort, or once a cutover has made the dump useless. */
export function releaseDumpDirectory(dumpDir: string, me: RunIdentity | undefined, stateDir: string): void {
  const path = claimFile(dumpDir);
  if (!existsSync(path)) return;
  const holder = parseIdentity(readFileSync(path, 'utf8'));
  if (!holder || isOurs(holder, me, stateDir)) rmSync(path, { force: true });
}
