// The node rules on plain fact objects, for one node (n1).
import { describe, it, expect } from 'vitest';
import { context, contextOfKind, nodeFacts, run, summary, OTHER_RUN } from './facts.js';
import { unreachable } from '../../../src/check/rules/node.reachable.js';
import type { MultimasterFacts } from '../../../src/check/facts.js';

const ctx = context();
const clean = nodeFacts(ctx);
const onNode = (id: string, facts = clean, c = ctx) => run(id, facts, c, 'n1');

describe('node.reachable', () => {
  it('says nothing of a node that answered; a missing database gets CREATE DATABASE as its fix', () => {
    expect(onNode('node.reachable')).toEqual([]);
    expect(unreachable('database "app" does not exist', 'n1').fix).toBe('Create the database on the node, empty: CREATE DATABASE app;');
    expect(unreachable('connection refused', 'n1').fix).toContain('nodes[].dsn for n1');
  });
});

describe('node.version', () => {
  it('a note when not older than the source, an error when older', () => {
    expect(onNode('node.version')).toEqual([expect.objectContaining({ id: 'node.version', target: 'n1', severity: 'info', found: 'PostgreSQL 15.18' })]);
    const f = onNode('node.version', nodeFacts(ctx, { version_num: 140010, version: '14.10' }))[0];
    expect(f).toMatchObject({ severity: 'error', found: "PostgreSQL 14.10, older than the source's 15.18", fix: 'Use nodes running PostgreSQL 15 or later.' });
  });
});

describe('node.privileges', () => {
  const role = { user: 'app', superuser: false, privileged: false, can_subscribe: false };
  it('a superuser passes; pg_create_subscription on 16 is a warning; otherwise an error', () => {
    expect(onNode('node.privileges')).toEqual([]);
    expect(onNode('node.privileges', nodeFacts(ctx, { role }))[0]).toMatchObject({ severity: 'error', fix: expect.stringContaining('ALTER ROLE app SUPERUSER;') });
    const sub = onNode('node.privileges', nodeFacts(ctx, { role: { ...role, can_subscribe: true }, version_num: 160004 }))[0];
    expect(sub).toMatchObject({ severity: 'warning', fix: 'As a superuser on the node: GRANT EXECUTE ON FUNCTION pg_replication_origin_advance(text, pg_lsn) TO app;' });
  });
});

describe('node.existing_objects', () => {
  it('names what the restore would create, with the DROPs; after this plan restored the node, a note', () => {
    expect(onNode('node.existing_objects')).toEqual([]);
    const facts = nodeFacts(ctx, { existing_relations: [{ schema: 'public', name: 'orders', kind: 'r' }, { schema: 'public', name: 'v', kind: 'v' }], existing_schemas: ['billing'] });
    const f = onNode('node.existing_objects', facts)[0];
    expect(f.found).toBe('already holds 1 table (public.orders), 1 other relation (public.v), 1 schema (billing) that the restore would create');
    expect(f.fix).toContain('DROP TABLE public.orders;\nDROP VIEW public.v;\nDROP SCHEMA billing;');
    expect(onNode('node.existing_objects', facts, context('', ['restore:n1']))[0].severity).toBe('info');
    expect(onNode('node.existing_objects', nodeFacts(ctx, { ...facts, source: undefined }))).toEqual([]);
  });
});

describe('node.existing_subscription', () => {
  it("one of no run is an error with the drop sequence; another run's names that run; this run's is reused", () => {
    expect(onNode('node.existing_subscription')).toEqual([]);
    const facts = nodeFacts(ctx, { subscription: { enabled: false, owner: { kind: 'unmarked' } } });
    const f = onNode('node.existing_subscription', facts)[0];
    expect(f).toMatchObject({ severity: 'error', found: 'subscription sub_1 already exists (disabled)' });
    expect(f.fix).toContain('ALTER SUBSCRIPTION sub_1 SET (slot_name = NONE);');
    const other = onNode('node.existing_subscription', nodeFacts(ctx, { subscription: { enabled: true, owner: { kind: 'other', mark: OTHER_RUN } } }))[0];
    expect(other).toMatchObject({ severity: 'error', found: expect.stringMatching(/^subscription sub_1 belongs to another run of this migration: .* on host db-admin-2, state directory \/srv\/migrate\/state$/) });
    expect(other.fix).toContain('--take-over');
    expect(onNode('node.existing_subscription', nodeFacts(ctx, { subscription: { enabled: true, owner: { kind: 'ours', mark: OTHER_RUN } } }))[0].severity).toBe('info');
  });
});

describe('node.roles', () => {
  it('names the roles the dump needs and the node lacks, and the plan flags that avoid them', () => {
    const source = summary({ roles: ['app', 'reporting'] });
    expect(onNode('node.roles', nodeFacts(ctx, { source, present_roles: ['app', 'reporting'] }))).toEqual([]);
    const f = onNode('node.roles', nodeFacts(ctx, { source, present_roles: ['app'] }))[0];
    expect(f.found).toBe('1 role the dump names as owner or grantee does not exist: reporting');
    expect(f.fix).toContain('CREATE ROLE reporting;');
    expect(f.fix).toContain('restore.no_owner: true and restore.no_privileges: true');
    expect(onNode('node.roles', nodeFacts(ctx, { source, present_roles: [] }), context('', ['restore:n1']))).toEqual([]);
  });
});

describe('node.extensions', () => {
  const source = summary({ extensions: [{ name: 'postgis', version: '3.4' }, { name: 'hstore', version: '1.8' }] });
  it('an extension the server lacks is an error', () => {
    const f = onNode('node.extensions', nodeFacts(ctx, { source, available_extensions: [{ name: 'hstore', installed_version: null }] }));
    expect(f).toEqual([expect.objectContaining({ severity: 'error', found: '1 extension the source uses is not available: postgis (source: 3.4)', fix: expect.stringContaining('postgresql-15-<extension>') })]);
  });
  it('for a partial dump, one available but not created is a warning', () => {
    const partial = context('publish:\n  schemas: [public]\n');
    const facts = nodeFacts(partial, { source, available_extensions: [{ name: 'postgis', installed_version: '3.4' }, { name: 'hstore', installed_version: null }] });
    expect(onNode('node.extensions', facts, partial)).toEqual([expect.objectContaining({ severity: 'warning', fix: 'CREATE EXTENSION hstore;' })]);
    expect(onNode('node.extensions', facts)).toEqual([]);
  });
});

describe('node.logical_replication_workers', () => {
  it('needs a worker for each enabled subscription and the new one', () => {
    const settings = { ...clean.settings, max_logical_replication_workers: 2 };
    expect(onNode('node.logical_replication_workers', nodeFacts(ctx, { settings, enabled_subscriptions: 1 }))).toEqual([]);
    const f = onNode('node.logical_replication_workers', nodeFacts(ctx, { settings, enabled_subscriptions: 2 }))[0];
    expect(f).toMatchObject({ severity: 'error', found: 'max_logical_replication_workers is 2; 2 enabled subscriptions already use 2', fix: expect.stringContaining('= 5;') });
    expect(onNode('node.logical_replication_workers', nodeFacts(ctx, { settings, enabled_subscriptions: 2, subscription: { enabled: true } }))).toEqual([]);
  });
});

describe('node.worker_processes', () => {
  it('needs a free background worker for the apply worker', () => {
    const settings = { ...clean.settings, max_worker_processes: 3 };
    expect(onNode('node.worker_processes', nodeFacts(ctx, { settings, background_workers: 2 }))).toEqual([]);
    expect(onNode('node.worker_processes', nodeFacts(ctx, { settings, background_workers: 3 }))[0]).toMatchObject({ severity: 'error', fix: 'ALTER SYSTEM SET max_worker_processes = 8;  then restart PostgreSQL.' });
  });
});

describe('node.replication_origins', () => {
  it('needs a free origin (bounded by max_replication_slots) for the subscription', () => {
    const settings = { ...clean.settings, max_replication_slots: 1 };
    expect(onNode('node.replication_origins', nodeFacts(ctx, { settings }))).toEqual([]);
    expect(onNode('node.replication_origins', nodeFacts(ctx, { settings, replication_origins: 1 }))[0]).toMatchObject({ severity: 'error', found: 'max_replication_slots is 1 and 1 replication origin exists' });
  });
});

const multimaster = (over: Partial<MultimasterFacts> = {}): MultimasterFacts => ({ extension: 'spock', schema: 'spock', available: true, local_node: true, replication_set: true, subscriptions: [{ sub_name: 'n1_n2', origins: [] }], ...over });

describe('node.spock', () => {
  const pgedge = contextOfKind('pgedge');
  const facts = (over: Partial<MultimasterFacts> = {}) => nodeFacts(pgedge, { multimaster: multimaster(over) });
  it('only for pgedge nodes: the extension, its local node, the replication set', () => {
    expect(onNode('node.spock')).toEqual([]);
    expect(onNode('node.spock', facts(), pgedge)).toEqual([]);
    expect(onNode('node.spock', facts({ schema: undefined, available: false }), pgedge)[0].found).toBe('the spock extension is not installed on this server');
    expect(onNode('node.spock', facts({ schema: undefined }), pgedge)[0].fix).toBe('On n1: CREATE EXTENSION spock;  then create its node (spock.node_create).');
    expect(onNode('node.spock', facts({ local_node: false }), pgedge)[0].fix).toContain("spock.node_create(node_name := 'n1'");
    expect(onNode('node.spock', facts({ replication_set: false }), pgedge)[0].fix).toBe("On n1: SELECT spock.repset_create('default');  or set nodes[].replication_set to an existing one.");
  });
});

describe('node.pglogical', () => {
  const kind = contextOfKind('pglogical');
  it('only for pglogical nodes, with pglogical names', () => {
    const facts = nodeFacts(kind, { multimaster: multimaster({ extension: 'pglogical', schema: 'pglogical', replication_set: false }) });
    expect(onNode('node.spock', facts, kind)).toEqual([]);
    expect(onNode('node.pglogical', facts, kind)[0].fix).toBe("On n1: SELECT pglogical.create_replication_set('default');  or set nodes[].replication_set to an existing one.");
  });
});

describe('node.forward_origins', () => {
  const pgedge = contextOfKind('pgedge');
  it('a subscription forwarding other origins is an error; none yet is a note; no extension is left to node.spock', () => {
    expect(onNode('node.forward_origins', nodeFacts(pgedge, { multimaster: multimaster() }), pgedge)).toEqual([]);
    const f = onNode('node.forward_origins', nodeFacts(pgedge, { multimaster: multimaster({ subscriptions: [{ sub_name: 'n1_n2', origins: ['all'] }] }) }), pgedge)[0];
    expect(f).toMatchObject({ severity: 'error', found: '1 node-to-node subscription forward changes of other origins: n1_n2 (forward_origins ["all"])', fix: expect.stringContaining('spock.sub_create') });
    expect(onNode('node.forward_origins', nodeFacts(pgedge, { multimaster: multimaster({ subscriptions: [] }) }), pgedge)[0].severity).toBe('info');
    expect(onNode('node.forward_origins', nodeFacts(pgedge, { multimaster: multimaster({ schema: undefined }) }), pgedge)).toEqual([]);
  });
});

describe('node.multimaster_settings', () => {
  const pgedge = contextOfKind('pgedge');
  it('shared_preload_libraries and track_commit_timestamp, with the ALTER SYSTEM keeping other libraries', () => {
    const f = onNode('node.multimaster_settings', nodeFacts(pgedge, { multimaster: multimaster(), settings: { ...clean.settings, shared_preload_libraries: 'pg_stat_statements' } }), pgedge)[0];
    expect(f.found).toBe('shared_preload_libraries (pg_stat_statements) lacks spock; track_commit_timestamp is off');
    expect(f.fix).toBe("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements,spock'; ALTER SYSTEM SET track_commit_timestamp = on;  then restart PostgreSQL.");
    const ok = nodeFacts(pgedge, { multimaster: multimaster(), settings: { ...clean.settings, shared_preload_libraries: '"spock"', track_commit_timestamp: 'on' } });
    expect(onNode('node.multimaster_settings', ok, pgedge)).toEqual([]);
    expect(onNode('node.multimaster_settings')).toEqual([]);
  });
});

describe('node.reaches_source', () => {
  it('reached: nothing; not testable: a note; refused: an error with what to check', () => {
    expect(onNode('node.reaches_source')).toEqual([]);
    expect(onNode('node.reaches_source', nodeFacts(ctx, { reach: { tested: false, why: 'no_dblink' } }))[0]).toMatchObject({ severity: 'info', found: 'cannot be tested from n1: the dblink extension is not created there' });
    expect(onNode('node.reaches_source', nodeFacts(ctx, { reach: { tested: true, error: { code: '2F003', text: 'password is required' } } }))[0].severity).toBe('info');
    const f = onNode('node.reaches_source', nodeFacts(ctx, { reach: { tested: true, error: { code: '08001', text: 'could not connect' } } }))[0];
    expect(f).toMatchObject({ severity: 'error', found: "n1 cannot connect to the source with its subscription's connection string: could not connect" });
  });
});

describe('node.writable', () => {
  it('an error naming why the node cannot take writes, with its fix', () => {
    expect(onNode('node.writable')).toEqual([]);
    const f = onNode('node.writable', nodeFacts(ctx, { writable: { found: 'node n1 is a hot standby (pg_is_in_recovery()): it cannot take writes', fix: 'Point it at its primary.' } }))[0];
    expect(f).toMatchObject({ id: 'node.writable', target: 'n1', severity: 'error', found: 'node n1 is a hot standby (pg_is_in_recovery()): it cannot take writes', fix: 'Point it at its primary.' });
  });
});

describe('node.large_objects', () => {
  it('an error when the node has large objects before the restore; a note once this plan restored it; nothing for a partial dump', () => {
    expect(onNode('node.large_objects')).toEqual([]);
    const some = nodeFacts(ctx, { large_objects: 2 });
    expect(onNode('node.large_objects', some)[0]).toMatchObject({ severity: 'error', found: 'already holds 2 large objects', fix: expect.stringContaining('--drop-data') });
    expect(onNode('node.large_objects', some, context('', ['restore:n1']))[0].severity).toBe('info');
    expect(onNode('node.large_objects', some, context('publish:\n  schemas: [public]\n'))).toEqual([]);
  });
});

describe('node.database_settings', () => {
  const settings = [
    { role: null, name: 'search_path', value: 'app' },
    { role: 'reporting', name: 'work_mem', value: '64MB' },
    { role: 'postgres', name: 'default_transaction_read_only', value: 'on' },
  ];
  it("a warning for a setting of a role the node lacks, and for one held back because it would make the tool's sessions read-only", () => {
    expect(onNode('node.database_settings')).toEqual([]);
    const f = onNode('node.database_settings', nodeFacts(ctx, { source: summary({ database_settings: settings }), setting_roles: ['postgres'] }));
    expect(f.map((x) => x.severity)).toEqual(['warning', 'warning']);
    expect(f[0].found).toBe('the node lacks role reporting, whose settings in the source database apply cannot carry');
    expect(f[0].fix).toContain("ALTER ROLE reporting IN DATABASE app SET work_mem TO '64MB';");
    expect(f[1].found).toBe('held back, because the restore and the stream need writes: default_transaction_read_only for postgres');
    expect(onNode('node.database_settings', nodeFacts(ctx, { source: summary({ database_settings: settings.slice(0, 2) }), setting_roles: ['reporting'] }))).toEqual([]);
  });
});
