// The pgedge node rules on plain fact objects: Spock's mesh, its DDL
// replication, origin ids beside Spock node ids, Snowflake.
import { describe, it, expect } from 'vitest';
import { context, contextOfKind, nodeFacts, run } from './facts.js';
import type { MultimasterFacts, PgedgeFacts } from '../../../src/check/facts.js';

const ctx = contextOfKind('pgedge');
const TWO_PGEDGE_NODES = ['version: 1', 'name: rules', 'source:', '  dsn: host=s dbname=app', 'nodes:']
  .concat(...['n1', 'n2'].map((n) => [`  - name: ${n}`, `    dsn: host=${n} dbname=app`, '    kind: pgedge']))
  .concat('replication:', ...['1', '2'].map((i) => [`  - node: n${i}`, `    publication: pub_${i}`, `    slot: slot_${i}`, `    subscription: sub_${i}`]))
  .join('\n') + '\n';
const spock: MultimasterFacts = { extension: 'spock', schema: 'spock', available: true, local_node: true, replication_set: true, subscriptions: [] };
const pgedge = (over: Partial<PgedgeFacts> = {}): PgedgeFacts => ({
  ddl: { enable_ddl_replication: 'off', include_ddl_repset: 'off', allow_ddl_from_functions: 'off', deny_all_ddl: 'off' },
  spock_status: [],
  origin: { id: 3, existing: false, spock_nodes: [{ id: 49708, name: 'n1' }] },
  snowflake: undefined,
  ...over,
});
const onNode = (id: string, p: Partial<PgedgeFacts>, c = ctx) => run(id, nodeFacts(c, { node: c.plan.nodes[0], multimaster: spock, pgedge: pgedge(p) }), c, 'n1');

describe('node.spock_subscriptions', () => {
  it('says nothing when every subscription replicates; names one that does not', () => {
    expect(onNode('node.spock_subscriptions', { spock_status: [{ name: 'sub_n1_n2', status: 'replicating', provider: 'n2' }] })).toEqual([]);
    const [f] = onNode('node.spock_subscriptions', { spock_status: [{ name: 'sub_n1_n2', status: 'down', provider: 'n2' }] });
    expect(f).toMatchObject({ severity: 'error', found: '1 Spock subscription not replicating: sub_n1_n2 (from n2): down' });
  });

  it('warns when the node subscribes to fewer peers than the plan has pgedge nodes', () => {
    const c = context('', [], TWO_PGEDGE_NODES);
    expect(onNode('node.spock_subscriptions', { spock_status: [] }, c)[0]).toMatchObject({ severity: 'warning', found: '0 Spock subscriptions from other nodes, and the plan has 1 other pgedge node' });
  });
});

describe('node.ddl_replication', () => {
  it('spock.deny_all_ddl is an error; DDL replication on is a note that the migration turns it off for itself', () => {
    expect(onNode('node.ddl_replication', { ddl: { enable_ddl_replication: 'on', include_ddl_repset: 'on', allow_ddl_from_functions: 'off', deny_all_ddl: 'on' } })[0]).toMatchObject({ severity: 'error', found: 'spock.deny_all_ddl is on' });
    const [on] = onNode('node.ddl_replication', { ddl: { enable_ddl_replication: 'on', include_ddl_repset: 'on', allow_ddl_from_functions: 'off', deny_all_ddl: 'off' } });
    expect(on).toMatchObject({ severity: 'info', found: "spock.enable_ddl_replication, spock.include_ddl_repset on: the migration's sessions turn them off for themselves" });
    expect(onNode('node.ddl_replication', {})[0]).toMatchObject({ severity: 'info', found: 'spock.enable_ddl_replication is off' });
  });
});

describe('node.origin_ids', () => {
  it('an origin id equal to a Spock node id is an error with the placeholder fix; otherwise the ids compared are shown', () => {
    const [clash] = onNode('node.origin_ids', { origin: { id: 7, existing: false, spock_nodes: [{ id: 7, name: 'n2' }] } });
    expect(clash).toMatchObject({ severity: 'error', found: "the subscription's origin will get (the lowest free one) id 7, the id of Spock node n2", fix: expect.stringContaining("pg_replication_origin_create('pgedge_migrate_reserved_7')") });
    expect(onNode('node.origin_ids', {})[0]).toMatchObject({ severity: 'info', found: expect.stringContaining('origin id 3; Spock node ids 49708 (n1): no overlap') });
  });
});

describe('node.snowflake', () => {
  const snowflake = { created: true, available: true, node: '1', peers: [{ name: 'n2', node: '2' }] };
  it('distinct and set: a note; unset, shared with a peer or without the extension: an error with a free number', () => {
    expect(onNode('node.snowflake', { snowflake })[0]).toMatchObject({ severity: 'info', found: 'snowflake.node = 1 (n2: 2): distinct' });
    const [same] = onNode('node.snowflake', { snowflake: { ...snowflake, node: '2' } });
    expect(same).toMatchObject({ severity: 'error', found: 'snowflake.node is 2, as on n2', fix: 'On n1: ALTER SYSTEM SET snowflake.node = 1; SELECT pg_reload_conf();' });
    const [unset] = onNode('node.snowflake', { snowflake: { ...snowflake, node: null, created: false } });
    expect(unset).toMatchObject({ severity: 'error', found: 'the snowflake extension is not created in this database; snowflake.node is not set', fix: 'On n1: CREATE EXTENSION snowflake;  ALTER SYSTEM SET snowflake.node = 1; SELECT pg_reload_conf();' });
  });

  it('says nothing unless the strategy is snowflake (no facts read)', () => {
    expect(onNode('node.snowflake', { snowflake: undefined })).toEqual([]);
  });
});
