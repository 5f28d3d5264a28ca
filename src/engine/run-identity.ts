// Which run of a migration this is: one identity per state directory, made by
// the first apply and kept beside the journal (not in it, so that an
// unreadable journal does not make the run a stranger to its own objects).
// Every object the run creates carries it (src/pg/run-marks.ts).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeAtomically } from './journal.js';

export interface RunIdentity {
  tool: 'pgedge-migrate';
  plan: string;
  /** Random, made once per state directory. */
  run: string;
  host: string;
  state_dir: string;
  started_at: string;
  /**
   * On the publications only, once a cutover is about to switch writes to the
   * nodes: said on the source before it happens, so that abort knows it without the journal.
   */
  switch_started_at?: string;
}

export function identityFile(stateDir: string): string {
  return join(stateDir, 'run.json');
}

export function parseIdentity(text: string | null | undefined): RunIdentity | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<RunIdentity>;
    if (v?.tool !== 'pgedge-migrate' || typeof v.run !== 'string' || typeof v.host !== 'string' || typeof v.state_dir !== 'string') return undefined;
    return v as RunIdentity;
  } catch {
    return undefined;
  }
}

export function readRunIdentity(stateDir: string): RunIdentity | undefined {
  const path = identityFile(stateDir);
  return existsSync(path) ? parseIdentity(readFileSync(path, 'utf8')) : undefined;
}

/** This state directory's identity, made (durably) on first use. */
export function claimRunIdentity(stateDir: string, plan: string): RunIdentity {
  const found = readRunIdentity(stateDir);
  if (found) return found;
  const me: RunIdentity = { tool: 'pgedge-migrate', plan, run: randomUUID(), host: hostname(), state_dir: stateDir, started_at: new Date().toISOString() };
  writeAtomically(identityFile(stateDir), JSON.stringify(me, null, 2) + '\n');
  return me;
}

export function forgetRunIdentity(stateDir: string): void {
  rmSync(identityFile(stateDir), { force: true });
}

/** How another run is named to the operator: enough to find it. */
export function describeRun(id: Pick<RunIdentity, 'host' | 'state_dir' | 'started_at'>): string {
  return `the run started ${id.started_at} on host ${id.host}, state directory ${id.state_dir}`;
}

/**
 * Ours: the same identity, or (the identity file lost) one made on this host
 * for this same state directory, which the lock lets only one run use at a time.
 */
export function isOurs(mark: RunIdentity, me: RunIdentity | undefined, stateDir: string): boolean {
  if (me && mark.run === me.run) return true;
  return mark.host === hostname() && mark.state_dir === stateDir;
}
