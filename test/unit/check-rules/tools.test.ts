// The tool rules on plain fact objects.
import { describe, it, expect } from 'vitest';
import { context, run, toolFacts, unreadable } from './facts.js';

const onTools = (id: string, facts = toolFacts(), ctx = context()) => run(id, facts, ctx, 'tools');
const old = { path: '/opt/old/pg_dump', text: 'pg_dump (PostgreSQL) 9.6.0', found: true, major: 9.6 };

describe('tools.pg_dump', () => {
  it('a note when fine; an error when missing or older than the source; a warning when it names no version', () => {
    expect(onTools('tools.pg_dump')).toEqual([expect.objectContaining({ severity: 'info', target: 'tools', found: 'pg_dump (PostgreSQL) 15.18 (/usr/bin/pg_dump)' })]);
    expect(onTools('tools.pg_dump', toolFacts({ pg_dump: { path: 'pg_dump', text: 'not found', found: false } }))[0]).toMatchObject({ severity: 'error', found: 'pg_dump at pg_dump: not found' });
    const f = onTools('tools.pg_dump', toolFacts({ pg_dump: old }), context('tools:\n  bin_dir: /opt/old\n'))[0];
    expect(f.found).toBe("pg_dump (PostgreSQL) 9.6.0 (/opt/old/pg_dump) is older than the source's PostgreSQL 15.18");
    expect(f.fix).toContain('/usr/lib/postgresql/15/bin');
    expect(f.fix).toContain('tools.bin_dir is /opt/old now');
    expect(onTools('tools.pg_dump', toolFacts({ pg_dump: { path: 'x', text: 'x 1', found: true } }))[0].severity).toBe('warning');
  });
  it('without the source, nothing is compared', () => {
    expect(onTools('tools.pg_dump', toolFacts({ source: undefined, pg_dump: old }))[0]).toMatchObject({ severity: 'info', why: 'The source could not be read, so its version was not compared.' });
  });
});

describe('tools.pg_restore', () => {
  it('must not be older than the source nor than pg_dump', () => {
    expect(onTools('tools.pg_restore')[0].severity).toBe('info');
    const newerDump = toolFacts({ pg_dump: { path: '/usr/bin/pg_dump', text: 'pg_dump (PostgreSQL) 16.2', found: true, major: 16 } });
    expect(onTools('tools.pg_restore', newerDump)[0]).toMatchObject({ severity: 'error', found: 'pg_restore (PostgreSQL) 15.18 (/usr/bin/pg_restore) is older than pg_dump (pg_dump (PostgreSQL) 16.2)' });
    expect(onTools('tools.pg_restore', toolFacts({ pg_restore: { ...old, path: '/opt/old/pg_restore' } }))[0].why).toBe('pg_restore must understand everything a PostgreSQL 15 dump contains.');
  });
});

describe('tools.vacuumdb', () => {
  it('a warning when the cutover would run it and it is missing', () => {
    expect(onTools('tools.vacuumdb')).toEqual([]);
    expect(onTools('tools.vacuumdb', toolFacts({ vacuumdb: { path: 'vacuumdb', text: 'not found', found: false } }))[0]).toMatchObject({ severity: 'warning', fix: expect.stringContaining('cutover.vacuum: false') });
    expect(onTools('tools.vacuumdb', toolFacts({ vacuumdb: undefined }))).toEqual([]);
  });
});

describe('tools.dump_disk', () => {
  it('a note with room; short of room a warning when compressed, an error when not', () => {
    const dump = context('copy:\n  method: dump\n');
    expect(onTools('tools.dump_disk', toolFacts(), dump)[0]).toMatchObject({ severity: 'info', found: '100 GB free under /var/tmp/dump; the published tables hold 8.0 MB' });
    const tight = toolFacts({ dump_disk: { dir: '/var/tmp/dump', free: 1024 * 1024 } });
    expect(onTools('tools.dump_disk', tight, dump)[0].severity).toBe('warning');
    expect(onTools('tools.dump_disk', tight, context('copy:\n  method: dump\ndump:\n  compress: 0\n'))[0]).toMatchObject({ severity: 'error', fix: expect.stringContaining('enable compression') });
    expect(onTools('tools.dump_disk', toolFacts({ source: undefined }), dump)[0].found).toBe('100 GB free under /var/tmp/dump');
  });
  it('with copy.method stream only the schema is written there: a note, however small the disk', () => {
    const tight = toolFacts({ dump_disk: { dir: '/var/tmp/dump', free: 1024 * 1024 } });
    expect(onTools('tools.dump_disk', tight, context('dump:\n  compress: 0\ncopy:\n  method: stream\n'))[0]).toMatchObject({ severity: 'info', found: '1.0 MB free under /var/tmp/dump' });
  });
  it('a disk that could not be measured is a warning of its own', () => {
    expect(onTools('tools.dump_disk', unreadable(toolFacts(), 'dump_disk', 'EACCES'))[0]).toMatchObject({ severity: 'warning', found: 'could not be checked: EACCES' });
  });
});

describe('tools.dump_directory', () => {
  it('an error with the reason and the fix when pg_dump could not write there', () => {
    expect(onTools('tools.dump_directory')).toEqual([]);
    const bad = toolFacts({ dump_directory: { dir: '/mnt/dump', problem: { found: '/mnt/dump is not writable here (EROFS)', fix: 'Point dump.directory elsewhere.' } } });
    expect(onTools('tools.dump_directory', bad)[0]).toMatchObject({ severity: 'error', found: '/mnt/dump is not writable here (EROFS)', fix: 'Point dump.directory elsewhere.' });
  });
});
