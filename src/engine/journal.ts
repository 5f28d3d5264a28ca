// What has been done, durably: each finished task and the facts it produced.
// Written whole to a temporary file, fsynced and renamed over the old one, so
// a kill at any moment, or a full disk, leaves either the old journal or the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Facts } from '../facts.js';
import type { Stage, TaskSpec } from '../plan/graph.js';
import { OperationError, JournalWriteError, JournalUnreadableError } from '../errors.js';

export type JournalTaskStatus = 'started' | 'done' | 'failed';

export interface JournalTask {
  status: JournalTaskStatus;
  started_at: string;
  finished_at?: string;
  summary?: string;
  /** How many times the task was started: a restore started before is redone with --clean. */
  attempts: number;
}

export interface JournalData {
  version: 1;
  plan: string;
  created_at: string;
  updated_at: string;
  tasks: Record<string, JournalTask>;
  facts: Facts;
  /** Stages completed, e.g. apply finished at, cutover finished at. */
  completed: Partial<Record<Stage, string>>;
  /** Client programs running now, so that a run killed outright leaves no orphan the next run does not end. */
  children?: Record<string, { pid: number; program: string; started_at: string }>;
}

export class Journal {
  private constructor(
    readonly path: string,
    readonly data: JournalData,
  ) {}

  static file(stateDir: string): string {
    return join(stateDir, 'journal.json');
  }

  static open(stateDir: string, planName: string): Journal {
    const path = Journal.file(stateDir);
    if (existsSync(path)) {
      let data: JournalData;
      try {
        data = JSON.parse(readFileSync(path, 'utf8')) as JournalData;
      } catch (e) {
        throw new JournalUnreadableError(`the journal ${path} is unreadable: ${(e as Error).message}`, 'Restore it from a backup, or run `migrate abort` (it works from the live catalogs) and start again.');
      }
      if (data.plan !== planName) {
        throw new OperationError(`the journal ${path} belongs to plan "${data.plan}", not "${planName}"`, 'Give this plan its own state_dir.');
      }
      data.completed ??= {};
      return new Journal(path, data);
    }
    const now = new Date().toISOString();
    return new Journal(path, { version: 1, plan: planName, created_at: now, updated_at: now, tasks: {}, facts: {}, completed: {} });
  }

  get facts(): Facts {
    return this.data.facts;
  }

  /**
   * Done means journaled done, with every dependency done and, for a task
   * durable only with another (the anchor with its dump), that one done too.
   */
  doneSet(tasks: TaskSpec[]): Set<string> {
    const done = new Set<string>();
    for (const t of tasks) {
      const entry = this.data.tasks[t.id];
      if (entry?.status !== 'done') continue;
      if (!t.deps.every((d) => done.has(d))) continue;
      if (t.durableWith && this.data.tasks[t.durableWith]?.status !== 'done') continue;
      done.add(t.id);
    }
    return done;
  }

  attempts(id: string): number {
    return this.data.tasks[id]?.attempts ?? 0;
  }

  started(id: string): void {
    const prior = this.data.tasks[id];
    this.data.tasks[id] = { status: 'started', started_at: new Date().toISOString(), attempts: (prior?.attempts ?? 0) + 1 };
    this.save();
  }

  finished(id: string, status: 'done' | 'failed', facts: Partial<Facts>, summary?: string): void {
    const entry = this.data.tasks[id];
    Object.assign(this.data.facts, facts);
    this.data.tasks[id] = { ...entry, status, finished_at: new Date().toISOString(), summary };
    this.save();
  }

  /** Facts that must be durable before the task ends (a write freeze, before it takes effect). */
  record(facts: Partial<Facts>): void {
    Object.assign(this.data.facts, facts);
    this.save();
  }

  childStarted(task: string, pid: number, program: string): void {
    (this.data.children ??= {})[task] = { pid, program, started_at: new Date().toISOString() };
    this.save();
  }

  childEnded(task: string): void {
    if (this.data.children?.[task]) {
      delete this.data.children[task];
      this.save();
    }
  }

  forget(ids: string[]): void {
    for (const id of ids) delete this.data.tasks[id];
    this.save();
  }

  complete(stage: Stage): void {
    this.data.completed[stage] = new Date().toISOString();
    this.save();
  }

  save(): void {
    this.data.updated_at = new Date().toISOString();
    writeAtomically(this.path, JSON.stringify(this.data, null, 2) + '\n');
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** The file operations a journal write needs: replaced in tests to play a full disk. */
export interface WriteOps {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
}

const REAL_OPS: WriteOps = { writeSync: (fd, b, o, l) => writeSync(fd, b, o, l), fsyncSync };

/**
 * A write() may take fewer bytes than asked (a disk filling up) without an
 * error: every byte is written, in a loop, before the file is synced and put
 * in place. On any failure the temporary file goes and the old file stays.
 */
export function writeAtomically(path: string, text: string, ops: WriteOps = REAL_OPS): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const bytes = Buffer.from(text, 'utf8');
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      for (let done = 0; done < bytes.length; ) {
        const n = ops.writeSync(fd, bytes, done, bytes.length - done);
        if (n <= 0) throw Object.assign(new Error(`wrote ${done} of ${bytes.length} bytes`), { code: 'ENOSPC' });
        done += n;
      }
      ops.fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new JournalWriteError(path, e as NodeJS.ErrnoException);
  }
  // The rename itself is durable only once the directory is synced.
  try {
    const dfd = openSync(dirname(path), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
