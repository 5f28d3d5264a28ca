// The dump directory is a complete copy of the source's data: created for
// nobody but its owner, and removed as soon as nothing needs it any more (a
// finished cutover, an abort), saying where it was.
import { existsSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { relative } from 'node:path';

/** A directory holding only what pg_dump -Fd writes (or nothing) may be replaced or removed; anything else is the user's. */
export function isDumpDirectory(dir: string): boolean {
  return readdirSync(dir).every((f) => f === 'toc.dat' || /^\d+\.dat(\.gz|\.lz4|\.zst)?$/.test(f) || f === 'blobs.toc' || /^blob_\d+\.dat/.test(f));
}

export function restrictDumpDirectory(dir: string): void {
  if (existsSync(dir)) chmodSync(dir, 0o700);
}

/** Removes the dump; says what was removed, or why it was kept. Nothing when there was none. */
export function removeDumpDirectory(dir: string): { removed: string } | { kept: string } | undefined {
  if (!existsSync(dir)) return undefined;
  const shown = relative(process.cwd(), dir) || dir;
  if (!isDumpDirectory(dir)) return { kept: `kept ${shown}: it holds files pg_dump did not write` };
  rmSync(dir, { recursive: true, force: true });
  return { removed: `the dump directory ${shown} (a complete copy of the source's data)` };
}
