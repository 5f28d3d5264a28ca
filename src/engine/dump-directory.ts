// The dump directory: what may be found there, how it is cleared for a dump
// taken again, and its removal. It is a complete copy of the source's data:
// created for nobody but its owner, and removed as soon as nothing needs it
// any more (a finished cutover, an abort), saying where it was. A directory is
// emptied before it is removed, and kept when removing fails: it may be a
// mount point (rmdir fails with EBUSY) or sit in a directory apply may not write.
import { accessSync, chmodSync, constants, existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** What pg_dump -Fd writes into its directory. */
function isDumpFile(f: string): boolean {
  return f === 'toc.dat' || /^\d+\.dat(\.gz|\.lz4|\.zst)?$/.test(f) || f === 'blobs.toc' || /^blob_\d+\.dat/.test(f);
}

/** A directory holding only what pg_dump -Fd writes (or nothing) may be emptied; anything else is the user's. */
export function isDumpDirectory(dir: string): boolean {
  return readdirSync(dir).every(isDumpFile);
}

/** Removes what a dump cut off earlier left, keeping the directory itself. */
export function emptyDumpDirectory(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}

function writable(dir: string): string | undefined {
  try {
    // access(2) reports a read-only filesystem (EROFS) and an immutable
    // directory (EPERM) even to root, who otherwise passes mode bits.
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/** Why pg_dump could not write its dump to `dir`, with the fix; undefined when it can. */
export function dumpDirectoryProblem(dir: string): { found: string; fix: string } | undefined {
  const fix = 'Point dump.directory at an empty or new directory on a writable filesystem with room for the dump.';
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) return { found: `${dir} is a file, not a directory`, fix };
    const foreign = readdirSync(dir).filter((f) => !isDumpFile(f));
    if (foreign.length) return { found: `${dir} holds files pg_dump did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ''})`, fix: `Move them away, or ${fix[0].toLowerCase()}${fix.slice(1)}` };
    const why = writable(dir);
    return why ? { found: `${dir} is not writable here (${why})`, fix } : undefined;
  }
  // apply creates the directory, and the directories above it that are missing, in the nearest one that exists.
  let parent = dirname(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) return { found: `${parent}, where ${dir} would be created, is a file`, fix };
  const why = writable(parent);
  return why ? { found: `${dir} cannot be created: ${parent} is not writable here (${why})`, fix } : undefined;
}

export function restrictDumpDirectory(dir: string): void {
  if (existsSync(dir)) chmodSync(dir, 0o700);
}

/** pg_dump -Fd writes each table's rows to <dump id>.dat (compressed: .dat.gz, .lz4, .zst); a schema-only dump has none. */
function holdsData(dir: string): boolean {
  return readdirSync(dir).some((f) => /^\d+\.dat(\.\w+)?$/.test(f));
}

/** Removes the dump; says what was removed, or why it was kept. Nothing when there was none. */
export function removeDumpDirectory(dir: string): { removed: string } | { kept: string } | undefined {
  if (!existsSync(dir)) return undefined;
  const shown = relative(process.cwd(), dir) || dir;
  if (!isDumpDirectory(dir)) return { kept: `kept ${shown}: it holds files pg_dump did not write` };
  const what = holdsData(dir) ? "a complete copy of the source's data" : "the source's schema, no data (copy.method stream)";
  emptyDumpDirectory(dir);
  try {
    rmdirSync(dir);
  } catch {
    // A mount point, or a parent apply may not write: emptied is what matters.
    return { removed: `the contents of the dump directory ${shown} (${what}); the directory itself stays` };
  }
  return { removed: `the dump directory ${shown} (${what})` };
}
