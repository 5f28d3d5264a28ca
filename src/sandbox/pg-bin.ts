// Where the PostgreSQL server binaries are, and how to run them: under root
// (tests, CI) every server binary goes through runuser, since PostgreSQL
// refuses to run as root.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { OperationError } from '../errors.js';

/** The OS user, and the database superuser, of every throwaway cluster. */
export const SUPERUSER = 'postgres';
export const IS_ROOT = process.getuid?.() === 0;

/** Finds the PostgreSQL server binaries: explicit, PG_BIN, pg_config --bindir, then Debian's layout. */
export function findPgBin(explicit?: string): string {
  const candidates = [explicit, process.env.PG_BIN];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config comes with a client package; its absence says nothing.
  }
  for (const v of ['17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of candidates) if (dir && existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'))) return dir;
  throw new OperationError('no PostgreSQL server binaries found (initdb, postgres)', 'Install them (Debian: apt-get install postgresql-15) or pass --pg-bin / set PG_BIN to their directory.');
}

export function pgCommand(bin: string, binary: string, args: string[]): { file: string; args: string[] } {
  const file = path.join(bin, binary);
  return IS_ROOT ? { file: 'runuser', args: ['-u', SUPERUSER, '--', file, ...args] } : { file, args };
}

export async function runPg(bin: string, binary: string, args: string[], cwd: string) {
  const cmd = pgCommand(bin, binary, args);
  // cwd matters under runuser: pg_ctl/initdb complain if the postgres user
  // cannot access the directory they were started from.
  return execa(cmd.file, cmd.args, { cwd, reject: false, stdin: 'ignore', all: true });
}
