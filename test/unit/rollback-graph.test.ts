// Where the way back's tasks sit in the graphs, and the SQL they print.
import { describe, it, expect } from 'vitest';
import { buildGraph } from '../../src/plan/graph.js';
import { describeTask } from '../../src/render/describe.js';
import { MINIMAL_PLAN, planFromText } from './support.js';

const plan = planFromText(`${MINIMAL_PLAN}cutover:\n  fallback:\n    enabled: true\n`, {});
const order = (stage: 'cutover' | 'rollback' | 'finalize') => buildGraph(plan, stage).tasks.map((t) => t.id);
const before = (ids: string[], a: string, b: string) => ids.indexOf(a) >= 0 && ids.indexOf(a) < ids.indexOf(b);

describe('cutover with fallback', () => {
  it('creates the node\'s slot after the drain and the source\'s subscription before the switch; enables it only after the forward slots are gone', () => {
    const g = buildGraph(plan, 'cutover');
    const ids = order('cutover');
    expect(g.tasks.find((t) => t.id === 'fallback-slot')!.deps).toEqual(['drain']);
    expect(g.tasks.find((t) => t.id === 'switch')!.deps).toContain('fallback-subscription');
    expect(before(ids, 'drop-slots', 'fallback-enable')).toBe(true);
    expect(g.tasks.find((t) => t.id === 'reopen')!.deps).toContain('fallback-enable');
  });

  it('is off by default: no fallback task', () => {
    expect(buildGraph(planFromText(MINIMAL_PLAN, {}), 'cutover').tasks.some((t) => t.id.startsWith('fallback'))).toBe(false);
  });

  it('prints the reverse subscription without a password, disabled and with no copy', () => {
    const spec = buildGraph(plan, 'cutover').tasks.find((t) => t.id === 'fallback-subscription')!;
    const [create] = describeTask(spec, { plan, dumpDir: '/d', facts: {}, reveal: false }).steps;
    expect(create.type === 'sql' && create.sql).toMatch(/CREATE SUBSCRIPTION minimal_fallback_sub\n  CONNECTION 'host=n1.example.com dbname=app'[\s\S]*copy_data = false, create_slot = false, enabled = false/);
    expect(JSON.stringify(create)).not.toMatch(/password=(?!\*)/);
  });
});

describe('rollback and finalize', () => {
  it('rollback mirrors the cutover: freeze the nodes, drain to the source, sequences and check, switch, unfreeze the source, drop the stream', () => {
    expect(order('rollback')).toEqual(['rollback-ready', 'freeze-nodes', 'rollback-drain', 'rollback-sequences', 'rollback-check', 'rollback-switch', 'unfreeze-source', 'drop-fallback']);
  });

  it('finalize only drops the stream; plan hooks attach to neither', () => {
    const withHook = planFromText(`${MINIMAL_PLAN}cutover:\n  fallback:\n    enabled: true\nhooks:\n  - after: switch\n    run: ./x.sh\n`, {});
    expect(buildGraph(withHook, 'finalize').tasks.map((t) => t.id)).toEqual(['finalize-drop-fallback']);
    expect(buildGraph(withHook, 'rollback').tasks.some((t) => t.kind === 'hook')).toBe(false);
  });
});

describe('the rollback as printed', () => {
  const spec = (id: string) => buildGraph(plan, 'rollback').tasks.find((t) => t.id === id)!;
  const steps = (id: string) => describeTask(spec(id), { plan, dumpDir: '/d', facts: {}, reveal: false }).steps;

  it('freezes each node as a wall: closed from another database of its server, then read-only with every other session ended, then no prepared transaction', () => {
    const [close, freeze, prepared] = steps('freeze-nodes');
    expect(close).toMatchObject({ type: 'sql', on: 'server:n1', sql: 'ALTER DATABASE app WITH ALLOW_CONNECTIONS false;' });
    expect(freeze).toMatchObject({ type: 'sql', on: 'n1' });
    expect(freeze.type === 'sql' && freeze.sql).toContain('ALTER DATABASE app SET default_transaction_read_only = on;');
    expect(prepared.type === 'sql' && prepared.sql).toContain('pg_prepared_xacts');
  });

  it('has each node print the setval statements for the source, and compares with a count query on the source and the node', () => {
    const [seq] = steps('rollback-sequences');
    expect(seq).toMatchObject({ type: 'sql', on: 'n1', output: { kind: 'statements', on: 'source' } });
    expect(seq.type === 'sql' && seq.sql).toContain("last_value IS NULL OR last_value %s %s");
    expect(steps('rollback-check')[0]).toMatchObject({ type: 'sql', on: 'n1', output: { kind: 'query', on: ['source', 'n1'] } });
  });

  it('waits with conditions every row must show, on values an earlier step returned', () => {
    const [, wait] = steps('rollback-drain');
    expect(wait).toMatchObject({ type: 'wait', on: 'n1' });
    expect(wait.type === 'wait' && wait.text).toMatch(/^Repeat until every row shows behind ≤ 0/);
    expect(wait.type === 'wait' && wait.sql).toContain("'<frozen_lsn>'::pg_lsn");
  });
});
