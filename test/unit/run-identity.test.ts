// A run's identity and the dump directory's owner file: which run is which,
// and a dump directory that one run holds refused to another.
import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunIdentity, readRunIdentity, isOurs, parseIdentity, type RunIdentity } from '../../src/engine/run-identity.js';
import { claimDumpDirectory, releaseDumpDirectory, claimFile } from '../../src/engine/dump-claim.js';
import { ForeignRunError } from '../../src/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'pgm-identity-'));

describe('the run identity', () => {
  it('is made once per state directory and read back the same', () => {
    const state = dir();
    const a = claimRunIdentity(state, 'p');
    expect(a).toMatchObject({ tool: 'pgedge-migrate', plan: 'p', host: hostname(), state_dir: state });
    expect(claimRunIdentity(state, 'p')).toEqual(a);
    expect(readRunIdentity(state)).toEqual(a);
  });

  it('tells ours from another run: the same id, or this host and state directory when the identity file is lost', () => {
    const state = dir();
    const me = claimRunIdentity(state, 'p');
    const other: RunIdentity = { ...me, run: 'x', state_dir: '/elsewhere' };
    expect(isOurs(me, me, state)).toBe(true);
    expect(isOurs(other, me, state)).toBe(false);
    expect(isOurs({ ...me, run: 'lost' }, undefined, state)).toBe(true);
    expect(isOurs({ ...me, host: 'another-host' }, undefined, state)).toBe(false);
  });

  it('reads only a comment that is one of ours', () => {
    expect(parseIdentity(null)).toBeUndefined();
    expect(parseIdentity('replicates the shop')).toBeUndefined();
    expect(parseIdentity('{"tool":"other"}')).toBeUndefined();
  });
});

describe('the dump directory claim', () => {
  it('refuses a directory another run holds, naming it; takes it over only when told; is released by its holder', () => {
    const dump = join(dir(), 'dump');
    const a = claimRunIdentity(dir(), 'p');
    const b = claimRunIdentity(dir(), 'p');
    expect(claimDumpDirectory(dump, a, { command: 'apply' })).toEqual({});
    expect(claimDumpDirectory(dump, a, { command: 'apply' })).toEqual({}); // its own again
    expect(() => claimDumpDirectory(dump, b, { command: 'apply' })).toThrow(ForeignRunError);
    expect(() => claimDumpDirectory(dump, b, { command: 'apply' })).toThrow(`the dump directory ${dump} is in use by another run: the run started ${a.started_at} on host ${a.host}, state directory ${a.state_dir}`);
    releaseDumpDirectory(dump, b, b.state_dir); // not b's to release
    expect(existsSync(claimFile(dump))).toBe(true);
    expect(claimDumpDirectory(dump, b, { command: 'apply', takeOver: true }).tookOverFrom).toEqual(a);
    expect(() => claimDumpDirectory(dump, a, { command: 'apply' })).toThrow(ForeignRunError);
    releaseDumpDirectory(dump, b, b.state_dir);
    expect(existsSync(claimFile(dump))).toBe(false);
  });
});
