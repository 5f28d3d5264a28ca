// The source rules on plain fact objects: each is silent (or a note) on the
// clean baseline, and says what it found, why and the fix when provoked.
import { describe, it, expect } from 'vitest';
import { context, contextOfKind, run, sourceFacts, table, unreadable, OTHER_RUN } from './facts.js';
import type { SourceCatalog } from '../../../src/check/facts.js';
import { unreachable } from '../../../src/check/rules/source.reachable.js';
import { hasIdentity } from '../../../src/check/rules/source.replica_identity.js';
import { formatDuration } from '../../../src/check/rules/source.max_slot_wal_keep_size.js';

const clean = sourceFacts();

describe('source.reachable', () => {
  it('says nothing of a source that answered; the runner reports a failed connection with its text', () => {
    expect(run('source.reachable', clean)).toEqual([]);
    expect(unreachable('connection refused', false)).toMatchObject({ severity: 'error', found: 'connection refused', why: expect.stringContaining('were not made'), fix: expect.stringContaining('source.dsn') });
    expect(unreachable('terminated', true).why).toContain('during its checks');
  });
});

describe('source.primary', () => {
  it('a standby is an error whose fix points at the primary', () => {
    expect(run('source.primary', clean)).toEqual([]);
    expect(run('source.primary', sourceFacts({ standby: true }))).toEqual([expect.objectContaining({ id: 'source.primary', severity: 'error', target: 'source', fix: 'Point source.dsn at the primary server.' })]);
  });
});

describe('source.version', () => {
  it('15 is a note, 14 an error', () => {
    expect(run('source.version', clean)).toEqual([expect.objectContaining({ severity: 'info', found: 'PostgreSQL 15.18' })]);
    expect(run('source.version', sourceFacts({ version_num: 140011, version: '14.11' }))[0]).toMatchObject({ severity: 'error', fix: expect.stringContaining('pg_upgrade') });
  });
});

describe('source.wal_level', () => {
  it('replica is an error; on RDS the fix is the parameter group', () => {
    expect(run('source.wal_level', clean)).toEqual([]);
    const plain = run('source.wal_level', sourceFacts({ settings: { ...clean.settings, wal_level: 'replica' } }))[0];
    expect(plain).toMatchObject({ severity: 'error', found: 'wal_level is replica', fix: expect.stringContaining('ALTER SYSTEM SET wal_level = logical;') });
    const rds = run('source.wal_level', sourceFacts({ settings: { ...clean.settings, wal_level: 'replica', rds_logical_replication: 'off' } }))[0];
    expect(rds.found).toBe('wal_level is replica; rds.logical_replication is off');
    expect(rds.fix).toContain('DB parameter group');
  });
});

describe('source.replication_slots', () => {
  it('counts a slot per node plus the anchor, and the plan slots already there as its own', () => {
    const full = { ...clean.settings, max_replication_slots: 2 };
    expect(run('source.replication_slots', sourceFacts({ settings: full, slots_in_use: 0 }))).toEqual([]);
    const f = run('source.replication_slots', sourceFacts({ settings: full, slots_in_use: 1 }))[0];
    expect(f).toMatchObject({ severity: 'error', found: 'max_replication_slots is 2 and 1 in use: 1 free, the plan needs 2', fix: 'ALTER SYSTEM SET max_replication_slots = 3;  then restart PostgreSQL.' });
    const resumed = sourceFacts({ settings: full, slots_in_use: 1, plan_slots: [{ slot_name: 'slot_1', slot_type: 'logical', plugin: 'pgoutput', database: 'app', active: false, retained: '0', wal_status: 'reserved' }] });
    expect(run('source.replication_slots', resumed)).toEqual([]);
  });
});

describe('source.wal_senders', () => {
  it('needs a sender per subscription plus the anchor', () => {
    const settings = { ...clean.settings, max_wal_senders: 2 };
    expect(run('source.wal_senders', sourceFacts({ settings }))).toEqual([]);
    expect(run('source.wal_senders', sourceFacts({ settings, wal_senders_in_use: 1 }))[0]).toMatchObject({ severity: 'error', found: 'max_wal_senders is 2 and 1 in use: 1 free, the plan needs 2' });
    const rds = run('source.wal_senders', sourceFacts({ settings: { ...settings, rds_logical_replication: '1' }, wal_senders_in_use: 2 }))[0];
    expect(rds.fix).toBe('Raise max_wal_senders to at least 4 in the parameter group, then reboot.');
  });
});

describe('source.replication_role', () => {
  it('names a role lacking REPLICATION with its uses, and one that does not exist', () => {
    expect(run('source.replication_role', clean)).toEqual([]);
    const roles = [
      { name: 'migrator', uses: ['source.dsn'], exists: true, can_replicate: false },
      { name: 'subscriber', uses: ['subscription sub_1'], exists: false, can_replicate: false },
    ];
    const fs = run('source.replication_role', sourceFacts({ connecting_roles: roles }));
    expect(fs.map((f) => f.found)).toEqual(['role migrator (source.dsn) has neither REPLICATION nor superuser', 'role subscriber (subscription sub_1) does not exist on the source']);
    expect(fs[0].fix).toBe('ALTER ROLE migrator REPLICATION;');
  });
});

describe('source.publication_privilege', () => {
  const role = { superuser: false, replication: true, memberships: [] };
  it('a superuser (or rds_superuser) may publish anything', () => {
    expect(run('source.publication_privilege', clean)).toEqual([]);
    expect(run('source.publication_privilege', sourceFacts({ role: { ...role, memberships: ['rds_superuser'] } }))).toEqual([]);
  });
  it('otherwise CREATE on the database, and FOR ALL TABLES needs a superuser', () => {
    const fs = run('source.publication_privilege', sourceFacts({ role, can_create_in_database: false }));
    expect(fs.map((f) => f.found)).toEqual(['role migrator may not create in database app', 'role migrator is not a superuser, and the plan publishes every table (FOR ALL TABLES)']);
  });
  it('with publish.tables, the tables not owned are named', () => {
    const ctx = context('publish:\n  tables: [public.accounts]\n');
    expect(run('source.publication_privilege', sourceFacts({ role }), ctx)).toEqual([]);
    const f = run('source.publication_privilege', sourceFacts({ role, tables: [table({ owned: false })] }), ctx)[0];
    expect(f.found).toBe('role migrator does not own 1 published table: public.accounts');
    expect(f.fix).toContain('ALTER TABLE public.accounts OWNER TO migrator;');
  });
});

describe('source.ddl_guard_privilege', () => {
  const role = { superuser: false, replication: true, memberships: [] };
  const guarded = context('ddl:\n  guard: block\n');
  it('says nothing with the guard off, or for a superuser or rds_superuser', () => {
    expect(run('source.ddl_guard_privilege', sourceFacts({ role }))).toEqual([]);
    expect(run('source.ddl_guard_privilege', clean, guarded)).toEqual([]);
    expect(run('source.ddl_guard_privilege', sourceFacts({ role: { ...role, memberships: ['rds_superuser'] } }), guarded)).toEqual([]);
  });
  it('warns that the guard will be off for a role that may not create event triggers', () => {
    const [f] = run('source.ddl_guard_privilege', sourceFacts({ role }), guarded);
    expect(f.severity).toBe('warning');
    expect(f.found).toBe('role migrator is not a superuser: it may not create event triggers, so the DDL guard (ddl.guard: block) will be off');
  });
});

describe('source.select_privilege', () => {
  it('names unreadable tables and sequences with their GRANTs', () => {
    expect(run('source.select_privilege', clean)).toEqual([]);
    const f = run('source.select_privilege', sourceFacts({ tables: [table({ can_select: false })], unreadable_sequences: [{ schema: 'public', name: 'Seq' }] }))[0];
    expect(f.found).toBe('role migrator cannot read 1 published table (public.accounts) and 1 sequence (public."Seq")');
    expect(f.fix).toContain('GRANT SELECT ON SEQUENCE public."Seq" TO migrator;');
  });
});

describe('source.published_tables', () => {
  it('names listed tables and schemas the source lacks, and warns of an empty publication', () => {
    expect(run('source.published_tables', clean)).toEqual([]);
    expect(run('source.published_tables', clean, context('publish:\n  tables: [public.accounts, app.missing]\n'))[0].found).toContain('does not have (or not as a table): app.missing');
    expect(run('source.published_tables', sourceFacts({ present_schemas: ['app'] }), context('publish:\n  schemas: [app, gone]\n'))[0].found).toBe('publish.schemas names 1 schema the source does not have: gone');
    expect(run('source.published_tables', sourceFacts({ tables: [] }))[0]).toMatchObject({ severity: 'warning', found: 'the publication would carry no table' });
  });
});

describe('source.replica_identity', () => {
  it('names tables whose updates cannot be published, each with the fitting fix', () => {
    expect(run('source.replica_identity', clean)).toEqual([]);
    const tables = [
      table({ name: 'events', has_pk: false }),
      table({ name: 'codes', has_pk: false, candidate_index: 'codes_code_key' }),
      table({ name: 'nothing', replident: 'n' }),
      table({ name: 'fulls', has_pk: false, replident: 'f' }),
      table({ name: 'parted', kind: 'p', has_pk: false }),
      table({ name: 'scratch', has_pk: false, persistence: 'u' }),
    ];
    const f = run('source.replica_identity', sourceFacts({ tables }))[0];
    expect(f.found).toBe('3 published tables without a primary key or usable replica identity: public.events, public.codes, public.nothing');
    expect(f.fix!.split('\n')).toEqual([
      'ALTER TABLE public.events ADD PRIMARY KEY (<columns>);  -- or, heavier on every update and delete: ALTER TABLE public.events REPLICA IDENTITY FULL;',
      'ALTER TABLE public.codes REPLICA IDENTITY USING INDEX codes_code_key;',
      'ALTER TABLE public.nothing REPLICA IDENTITY DEFAULT;',
    ]);
  });
  it('an index identity counts only while the index is valid', () => {
    expect(hasIdentity(table({ replident: 'i', has_identity_index: true }))).toBe(true);
    expect(hasIdentity(table({ replident: 'i', has_identity_index: false }))).toBe(false);
  });
});

describe('source.unlogged_tables', () => {
  it('a warning for a whole-database plan, an error when publish.tables names one', () => {
    expect(run('source.unlogged_tables', clean)).toEqual([]);
    const facts = sourceFacts({ tables: [table({ name: 'u', persistence: 'u' })] });
    expect(run('source.unlogged_tables', facts)[0]).toMatchObject({ severity: 'warning', fix: expect.stringContaining('ALTER TABLE public.u SET LOGGED;') });
    expect(run('source.unlogged_tables', facts, context('publish:\n  tables: [public.u]\n'))[0]).toMatchObject({ severity: 'error', found: 'publish.tables names 1 unlogged table: public.u' });
  });
});

describe('source.temporary_tables', () => {
  it('a note when sessions hold some', () => {
    expect(run('source.temporary_tables', clean)).toEqual([]);
    expect(run('source.temporary_tables', sourceFacts({ temporary_tables: 2 }))[0]).toMatchObject({ severity: 'info', found: '2 temporary tables open in sessions now' });
  });
});

describe('source.large_objects', () => {
  it('a warning for a whole-database dump, a note for a partial one', () => {
    expect(run('source.large_objects', clean)).toEqual([]);
    const w = run('source.large_objects', sourceFacts({ large_objects: 3 }))[0];
    expect(w).toMatchObject({ severity: 'warning', found: '3 large objects in pg_largeobject: changes to them after the snapshot are not carried to the nodes' });
    expect(w.why).toContain('is NOT carried to the nodes');
    expect(w.fix).toContain('Keep large objects unchanged from apply until the switch');
    expect(w.fix).toContain('migrate verify and the cutover compare them by oid');
    expect(run('source.large_objects', sourceFacts({ large_objects: 1 }), context('publish:\n  schemas: [public]\n'))[0].severity).toBe('info');
  });
});

describe('source.sequences', () => {
  it('a note naming the cutover strategy', () => {
    expect(run('source.sequences', clean)).toEqual([]);
    expect(run('source.sequences', sourceFacts({ sequences: 1 }))[0].found).toBe('1 sequence: handled at cutover');
    expect(run('source.sequences', sourceFacts({ sequences: 2 }), context('cutover:\n  sequences:\n    strategy: interleave\n'))[0].found).toBe('2 sequences: handled at cutover (cutover.sequences.strategy: interleave)');
  });
});

describe('source.materialized_views', () => {
  it('a warning with the REFRESH for each', () => {
    expect(run('source.materialized_views', clean)).toEqual([]);
    const f = run('source.materialized_views', sourceFacts({ relations: [{ schema: 'app', name: 'Totals', kind: 'm' }] }))[0];
    expect(f).toMatchObject({ severity: 'warning', found: '1 materialized view: app."Totals"', fix: 'On each node, before the switch: REFRESH MATERIALIZED VIEW app."Totals";' });
  });
});

describe('source.ddl', () => {
  it('is always a note', () => {
    expect(run('source.ddl', clean)).toEqual([expect.objectContaining({ severity: 'info', found: 'schema changes (DDL) are not replicated' })]);
  });
});

describe('source.existing_publications', () => {
  it("one of no run is an error whose fix drops it; another run's names that run and --take-over; this run's is reused", () => {
    expect(run('source.existing_publications', clean)).toEqual([]);
    const unmarked = run('source.existing_publications', sourceFacts({ plan_publications: [{ name: 'pub_1', owner: { kind: 'unmarked' } }] }))[0];
    expect(unmarked).toMatchObject({ severity: 'error', found: 'publication pub_1 already exists on the source', fix: expect.stringContaining('DROP PUBLICATION pub_1;') });
    expect(unmarked.why).toContain('unless --take-over');
    const other = run('source.existing_publications', sourceFacts({ plan_publications: [{ name: 'pub_1', owner: { kind: 'other', mark: OTHER_RUN } }] }))[0];
    expect(other).toMatchObject({ severity: 'error', found: 'publication pub_1 belongs to another run of this migration: the run started 2026-11-30T10:00:00.000Z on host db-admin-2, state directory /srv/migrate/state' });
    expect(other.fix).toContain('--state-dir /srv/migrate/state on db-admin-2');
    expect(other.fix).toContain('migrate apply plan.yaml --take-over');
    const ours = run('source.existing_publications', sourceFacts({ plan_publications: [{ name: 'pub_1', owner: { kind: 'ours', mark: OTHER_RUN } }] }))[0];
    expect(ours).toMatchObject({ severity: 'info', found: 'publication pub_1 exists, made by this run of the plan (state directory .migrate/rules): apply reuses it' });
  });
});

describe('source.existing_slots', () => {
  const slot = { slot_name: 'slot_1', slot_type: 'logical', plugin: 'pgoutput', database: 'app', active: false, retained: '2048', wal_status: 'reserved' };
  it("a leftover is an error describing it; one this plan's apply journaled is a note", () => {
    expect(run('source.existing_slots', clean)).toEqual([]);
    const f = run('source.existing_slots', sourceFacts({ plan_slots: [slot] }))[0];
    expect(f.found).toBe('slot slot_1 (logical pgoutput, database app, inactive, holding 2.0 kB of WAL, reserved) already exists on the source');
    expect(f.fix).toContain("SELECT pg_drop_replication_slot('slot_1');");
    expect(run('source.existing_slots', sourceFacts({ plan_slots: [slot] }), context('', ['slot:n1']))[0].severity).toBe('info');
  });

  it("a slot is its publication's run's: another run's is named, this run's reused, an unmarked publication's refused", () => {
    const withPublication = (owner: SourceCatalog['plan_publications'][number]['owner']) => sourceFacts({ plan_slots: [slot], plan_publications: [{ name: 'pub_1', owner }] });
    const other = run('source.existing_slots', withPublication({ kind: 'other', mark: OTHER_RUN }), context('', ['slot:n1']))[0];
    expect(other.severity).toBe('error');
    expect(other.found).toMatch(/^slot slot_1 \(logical .*\) \(with its publication pub_1\) belongs to another run of this migration: .*state directory \/srv\/migrate\/state$/);
    expect(run('source.existing_slots', withPublication({ kind: 'ours', mark: OTHER_RUN }))[0]).toMatchObject({ severity: 'info', found: expect.stringMatching(/^slot slot_1 .* exists, made by this run of the plan .*: apply reuses it$/) });
    const unmarked = run('source.existing_slots', withPublication({ kind: 'unmarked' }), context('', ['slot:n1']))[0];
    expect(unmarked.severity).toBe('error');
    expect(unmarked.fix).toContain('migrate abort plan.yaml --take-over');
  });
});

describe('source.inactive_slots', () => {
  it('a warning naming each with the WAL it holds', () => {
    expect(run('source.inactive_slots', clean)).toEqual([]);
    const f = run('source.inactive_slots', sourceFacts({ inactive_slots: [{ slot_name: 'old', slot_type: 'physical', database: null, retained: null }] }))[0];
    expect(f).toMatchObject({ severity: 'warning', found: '1 inactive slot: old (physical, holding ? of WAL)', fix: "If unused: SELECT pg_drop_replication_slot('old');" });
  });
});

describe('source.long_transactions', () => {
  it('a warning naming each session, with the lock timeout', () => {
    expect(run('source.long_transactions', clean)).toEqual([]);
    const f = run('source.long_transactions', sourceFacts({ long_transactions: [{ pid: 42, usename: 'app', datname: 'app', application_name: 'psql', state: 'idle in transaction', age: 120 }] }))[0];
    expect(f.found).toBe('1 write transaction open for over 60 s: pid 42 (app@app, psql, idle in transaction, 120 s)');
    expect(f.why).toMatch(/source\.lock_timeout_seconds \(\d+ s\)/);
    expect(f.fix).toContain('SELECT pg_terminate_backend(42);');
  });
});

describe('source.prepared_transactions', () => {
  it('a warning with COMMIT PREPARED for each', () => {
    expect(run('source.prepared_transactions', clean)).toEqual([]);
    const f = run('source.prepared_transactions', sourceFacts({ prepared_transactions: [{ gid: "tx'1", owner: 'app', database: 'app', age: 5 }] }))[0];
    expect(f.fix).toContain("COMMIT PREPARED 'tx''1';");
  });
});

describe('source.multimaster_keys', () => {
  it('only with a pgEdge or pglogical node: names tables without a key or with FULL', () => {
    const facts = sourceFacts({ tables: [table({ name: 'nokey', has_pk: false }), table({ name: 'full', replident: 'f' }), table()] });
    expect(run('source.multimaster_keys', facts)).toEqual([]);
    const f = run('source.multimaster_keys', facts, contextOfKind('pgedge'))[0];
    expect(f.found).toBe('2 tables without a primary key or with REPLICA IDENTITY FULL, and n1 is a pgEdge/pglogical node: public.nokey (no primary key), public."full" (REPLICA IDENTITY FULL)');
    expect(f.fix).toBe('ALTER TABLE public.nokey ADD PRIMARY KEY (<columns>);\nALTER TABLE public."full" REPLICA IDENTITY DEFAULT;');
  });
});

describe('source.size', () => {
  it('a note with the database and the published tables', () => {
    expect(run('source.size', clean)[0].found).toBe('database app is 10 MB; the published tables hold about 8.0 MB (without indexes)');
    expect(run('source.size', sourceFacts({ published_size: null }))[0].found).toBe('database app is 10 MB');
  });
});

describe('source.max_slot_wal_keep_size', () => {
  it('no limit is a note with the WAL expected; a limit that does not last is a warning with a size to set', () => {
    expect(run('source.max_slot_wal_keep_size', clean)[0]).toMatchObject({ severity: 'info', found: expect.stringMatching(/^max_slot_wal_keep_size is -1 \(no limit\); the source writes about 1.0 MB\/s/) });
    const small = run('source.max_slot_wal_keep_size', sourceFacts({ settings: { ...clean.settings, max_slot_wal_keep_size: 100 } }))[0];
    expect(small.severity).toBe('warning');
    expect(small.found).toContain('so the slots can fall about 100 s behind');
    expect(small.fix).toContain("ALTER SYSTEM SET max_slot_wal_keep_size = '2GB';");
    expect(run('source.max_slot_wal_keep_size', sourceFacts({ settings: { ...clean.settings, max_slot_wal_keep_size: 100_000 } }))[0].severity).toBe('info');
    expect(run('source.max_slot_wal_keep_size', sourceFacts({ settings: { ...clean.settings, max_slot_wal_keep_size: undefined } }))).toEqual([]);
  });
  it('formats durations', () => {
    expect([formatDuration(30), formatDuration(600), formatDuration(36_000)]).toEqual(['30 s', '10 min', '10.0 h']);
  });
});

describe('a fact that could not be read', () => {
  it('turns only the rules that read it into "could not be checked" warnings', () => {
    const facts = unreadable(sourceFacts(), 'large_objects');
    expect(run('source.large_objects', facts)).toEqual([expect.objectContaining({ id: 'source.large_objects', severity: 'warning', found: 'could not be checked: permission denied for table pg_authid' })]);
    expect(run('source.ddl', facts)).toHaveLength(1);
    expect(run('source.temporary_tables', facts)).toEqual([]);
  });
});

describe('source.database_settings', () => {
  it("names each of the database's settings, with the statements apply runs on the nodes", () => {
    expect(run('source.database_settings', clean)).toEqual([]);
    const f = run('source.database_settings', sourceFacts({ database_settings: [{ role: null, name: 'search_path', value: 'app, public' }, { role: 'reporting', name: 'work_mem', value: '64MB' }] }))[0];
    expect(f).toMatchObject({ severity: 'info', found: '2 settings of database app: search_path, work_mem for reporting' });
    expect(f.fix).toBe("apply runs on n1: ALTER DATABASE \"<node database>\" SET search_path TO 'app', 'public'; ALTER ROLE reporting IN DATABASE \"<node database>\" SET work_mem TO '64MB';");
  });
});
