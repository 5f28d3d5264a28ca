// The journal's write path on a disk that fills up: every byte is written or
// the old journal stays exactly as it was, and the failure is a typed error.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, writeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically, type WriteOps } from '../../src/engine/journal.js';
import { JournalWriteError } from '../../src/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'pgm-journal-'));

/** A disk with `free` bytes left: writes are cut short there, then refused, as write(2) does. */
function fullDisk(free: number): WriteOps & { calls: number } {
  const ops = {
    calls: 0,
    writeSync(fd: number, b: Uint8Array, o: number, l: number): number {
      ops.calls++;
      if (free <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = Math.min(l, free);
      free -= n;
      return writeSync(fd, b, o, n);
    },
    fsyncSync,
  };
  return ops;
}

describe('writeAtomically', () => {
  it('writes a file whole even when each write takes only part of it', () => {
    const d = dir();
    const path = join(d, 'journal.json');
    const text = 'x'.repeat(10_000) + '\n';
    let calls = 0;
    writeAtomically(path, text, { writeSync: (fd, b, o, l) => (calls++, writeSync(fd, b, o, Math.min(l, 1000))), fsyncSync });
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(calls).toBe(11);
  });

  it('keeps the old journal when the disk fills up halfway (a short write, then ENOSPC), and says so with a typed error', () => {
    const d = dir();
    const path = join(d, 'journal.json');
    writeFileSync(path, '{"old": true}\n');
    const ops = fullDisk(4096);
    let error: unknown;
    try {
      writeAtomically(path, JSON.stringify({ big: 'y'.repeat(20_000) }), ops);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalWriteError);
    expect((error as Error).message).toContain('ENOSPC');
    expect((error as Error).message).toContain('the previous journal is intact');
    expect((error as JournalWriteError).hint).toMatch(/disk of the state directory is full/);
    expect(ops.calls).toBe(2); // the short write was not taken for the whole
    expect(readFileSync(path, 'utf8')).toBe('{"old": true}\n');
    expect(readdirSync(d)).toEqual(['journal.json']); // no temporary file left behind
  });

  it('treats a write that takes nothing as a full disk instead of looping forever', () => {
    const d = dir();
    const path = join(d, 'journal.json');
    writeFileSync(path, 'old\n');
    expect(() => writeAtomically(path, 'new\n', { writeSync: () => 0, fsyncSync })).toThrow(JournalWriteError);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
  });

  it('keeps the old journal when fsync fails', () => {
    const d = dir();
    const path = join(d, 'journal.json');
    writeFileSync(path, 'old\n');
    const eio = () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    };
    expect(() => writeAtomically(path, 'new\n', { writeSync: (fd, b, o, l) => writeSync(fd, b, o, l), fsyncSync: eio })).toThrow(/EIO/);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(d)).toEqual(['journal.json']);
  });
});
