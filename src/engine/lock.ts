// One apply or cutover of a plan at a time. The lock file is created
// exclusively; a lock left by a process that no longer exists on this host is
// taken over, and said so.
import { openSync, writeSync, closeSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockHeldError, UsageError } from '../errors.js';

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  started_at: string;
}

export interface HeldLock {
  path: string;
  takenOver?: LockInfo;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(stateDir: string, command: string, planName: string): HeldLock {
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new UsageError(`the state directory ${stateDir} is a file, or lies under one: it must be a directory`, 'Point state_dir in the plan (or --state-dir, MIGRATE_STATE_DIR) at a directory; nothing was changed.');
    }
    throw e;
  }
  const path = join(stateDir, 'lock');
  const me: LockInfo = { pid: process.pid, host: hostname(), command, started_at: new Date().toISOString() };
  let takenOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      return {
        path,
        takenOver,
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let held: LockInfo | undefined;
      try {
        held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        held = undefined;
      }
      if (held && held.host === me.host && !alive(held.pid)) {
        takenOver = held;
        rmSync(path, { force: true });
        continue;
      }
      throw new LockHeldError(
        held
          ? `plan ${planName} is locked: migrate ${held.command} is running (pid ${held.pid} on ${held.host}, since ${held.started_at})`
          : `plan ${planName} is locked (${path})`,
        `Wait for it to finish. If that process is gone for good, remove ${path}.`,
      );
    }
  }
  throw new LockHeldError(`could not take the lock ${path}`);
}
