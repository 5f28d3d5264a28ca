// The dump directory: what may be found there, and how it is cleared for a
// dump taken again. A directory is emptied, never removed: it may be a mount
// point (rmdir fails with EBUSY) or sit in a directory apply may not write.
import { accessSync, constants, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
