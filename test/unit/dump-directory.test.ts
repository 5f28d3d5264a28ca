// The dump directory: what apply may empty and use, and what it refuses before anything is created.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpDirectoryProblem, emptyDumpDirectory, isDumpDirectory } from '../../src/engine/dump-directory.js';

const base = () => mkdtempSync(join(tmpdir(), 'pgm-dumpdir-'));

describe('the dump directory', () => {
  it('a new directory (under missing parents), an empty one, or a dump cut off earlier is usable', () => {
    const b = base();
    expect(dumpDirectoryProblem(join(b, 'a', 'b', 'dump'))).toBeUndefined();
    mkdirSync(join(b, 'empty'));
    expect(dumpDirectoryProblem(join(b, 'empty'))).toBeUndefined();
    const cut = join(b, 'cut');
    mkdirSync(cut);
    for (const f of ['toc.dat', '3340.dat.gz', 'blobs.toc', 'blob_16390.dat']) writeFileSync(join(cut, f), '');
    expect(isDumpDirectory(cut)).toBe(true);
    expect(dumpDirectoryProblem(cut)).toBeUndefined();
    emptyDumpDirectory(cut);
    expect(existsSync(cut)).toBe(true);
    expect(readdirSync(cut)).toEqual([]);
  });

  it('a file, or a directory with files of its own, is refused with what was found', () => {
    const b = base();
    writeFileSync(join(b, 'f'), '');
    expect(dumpDirectoryProblem(join(b, 'f'))?.found).toBe(`${join(b, 'f')} is a file, not a directory`);
    expect(dumpDirectoryProblem(join(b, 'f', 'dump'))?.found).toContain('is a file');
    mkdirSync(join(b, 'mine'));
    writeFileSync(join(b, 'mine', 'notes.txt'), '');
    expect(dumpDirectoryProblem(join(b, 'mine'))?.found).toBe(`${join(b, 'mine')} holds files pg_dump did not write (notes.txt)`);
  });
});
