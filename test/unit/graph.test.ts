import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { buildGraph, hookTargets, topologicalOrder, waves, type TaskGraph, type TaskSpec } from '../../src/plan/graph.js';
import type { ResolvedPlan } from '../../src/plan/plan.js';
import { FIXTURES, TWO_NODE_PLAN, planFromFile, planFromText } from './support.js';

const ids = (g: TaskGraph) => g.tasks.map((t) => t.id);
const depsOf = (g: TaskGraph) => Object.fromEntries(g.tasks.map((t) => [t.id, t.deps]));
const task = (g: TaskGraph, id: string) => g.tasks.find((t) => t.id === id)!;

/** Every task `id` waits for, directly or not. */
function ancestors(g: TaskGraph, id: string): Set<string> {
  const byId = new Map(g.tasks.map((t) => [t.id, t]));
  const out = new Set<string>();
  const walk = (x: string) => {
    for (const d of byId.get(x)!.deps) if (!out.has(d)) (out.add(d), walk(d));
  };
  walk(id);
  return out;
}

const TWO_NODES = `version: 1
name: two
source:
  dsn: host=source dbname=app
nodes:
  - name: n1
    dsn: host=n1 dbname=app
  - name: n2
    dsn: host=n2 dbname=app
replication:
  - node: n1
    publication: pub_1
    slot: slot_1
    subscription: sub_1
  - node: n2
    publication: pub_2
    slot: slot_2
    subscription: sub_2
`;
// The dump path's graph, pinned (copy.method stream is the default; its graph is tested at the end).
const DUMP = 'copy:\n  method: dump\n';
const withHooks = (hooks: string) => planFromText(`${TWO_NODES}${DUMP}hooks:\n${hooks}`);

describe('the example plan', () => {
  const plan = { ...planFromFile(TWO_NODE_PLAN), copy: { method: 'dump' as const, jobs: 4 } };
  const apply = buildGraph(plan, 'apply');
  const cutover = buildGraph(plan, 'cutover');

  it('apply: the corrected recipe, task by task, with exact dependencies, in execution order', () => {
    expect(apply.tasks.map((t) => [t.id, t.deps])).toEqual([
      ['publication:n1', []],
      ['publication:n2', []],
      ['slot:n1', ['publication:n1']],
      ['slot:n2', ['publication:n2']],
      ['anchor', ['slot:n1', 'slot:n2']],
      ['dump', ['anchor']],
      ['restore:n1', ['dump']],
      ['restore:n2', ['dump']],
      ['settings:n1', ['restore:n1']],
      ['settings:n2', ['restore:n2']],
      ['subscription:n1', ['restore:n1']],
      ['enable:n1', ['subscription:n1']],
      ['subscription:n2', ['restore:n2']],
      ['enable:n2', ['subscription:n2']],
      ['catch-up', ['enable:n1', 'enable:n2', 'settings:n1', 'settings:n2']],
      ['hook:1', ['catch-up']],
    ]);
    expect(apply.tasks.map((t) => t.kind)).toEqual([
      'create-publication', 'create-publication', 'create-slot', 'create-slot', 'export-snapshot', 'dump',
      'restore', 'restore', 'copy-database-settings', 'copy-database-settings', 'create-subscription', 'enable-subscription', 'create-subscription', 'enable-subscription', 'catch-up', 'hook',
    ]);
    expect(apply.tasks.every((t) => t.stage === 'apply')).toBe(true);
  });

  it('apply: the snapshot anchor lives only as long as the dump that reads it', () => {
    expect(task(apply, 'anchor').durableWith).toBe('dump');
  });

  it('apply: waves show what runs at once; both restores are in one wave', () => {
    expect(waves(apply).map((w) => w.map((t) => t.id))).toEqual([
      ['publication:n1', 'publication:n2'],
      ['slot:n1', 'slot:n2'],
      ['anchor'],
      ['dump'],
      ['restore:n1', 'restore:n2'],
      ['settings:n1', 'settings:n2', 'subscription:n1', 'subscription:n2'],
      ['enable:n1', 'enable:n2'],
      ['catch-up'],
      ['hook:1'],
    ]);
  });

  it('the hook after catch-up depends on catch-up and runs last', () => {
    expect(task(apply, 'hook:1')).toMatchObject({ kind: 'hook', phase: 'catch-up', deps: ['catch-up'], hookIndex: 0, title: 'Hook 1 after catch-up' });
    expect(ids(apply).at(-1)).toBe('hook:1');
  });

  it('cutover: freeze, drain, sequences and checks per node at once, switch, cleanup', () => {
    expect(depsOf(cutover)).toEqual({
      ready: [],
      freeze: ['ready'],
      drain: ['freeze'],
      'sequences:n1': ['drain'],
      'sequences:n2': ['drain'],
      'check:n1': ['drain'],
      'check:n2': ['drain'],
      // The example plan has cutover.fallback: the reverse stream between the drain and the switch.
      'fallback-slot': ['drain'],
      'fallback-subscription': ['fallback-slot'],
      switch: ['sequences:n1', 'sequences:n2', 'check:n1', 'check:n2', 'fallback-subscription'],
      'drop-subscription:n1': ['switch'],
      'drop-subscription:n2': ['switch'],
      'drop-slots': ['drop-subscription:n1', 'drop-subscription:n2'],
      'drop-publications': ['drop-slots'],
      reopen: ['drop-publications', 'fallback-enable'],
      'fallback-enable': ['drop-publications'],
      'vacuum:n1': ['drop-subscription:n1'],
      'vacuum:n2': ['drop-subscription:n2'],
    });
    expect(waves(cutover)[3].map((t) => t.id)).toEqual(['sequences:n1', 'sequences:n2', 'check:n1', 'check:n2', 'fallback-slot']);
  });

  it('every task comes after its dependencies', () => {
    for (const g of [apply, cutover]) {
      const seen = new Set<string>();
      for (const t of g.tasks) {
        for (const d of t.deps) expect(seen.has(d), `${t.id} after ${d}`).toBe(true);
        seen.add(t.id);
      }
    }
  });

  it('hook targets are the task ids, phases and stages of both stages', () => {
    const targets = hookTargets(plan);
    expect(targets.get('dump')).toBe('apply');
    expect(targets.get('restore:n2')).toBe('apply');
    expect(targets.get('subscribe')).toBe('apply');
    expect(targets.get('apply')).toBe('apply');
    expect(targets.get('drain')).toBe('cutover');
    expect(targets.get('cutover')).toBe('cutover');
    expect(targets.has('restore:n3')).toBe(false);
    expect(targets.has('hook:1')).toBe(false);
  });
});

describe('the anchor', () => {
  it('comes after every slot, however many nodes', () => {
    const plan = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));
    const g = buildGraph(plan, 'apply');
    expect(task(g, 'anchor').deps).toEqual(['slot:n1', 'slot:n2']);
    // and each slot after its own publication
    expect(task(g, 'slot:n2').deps).toEqual(['publication:n2']);
  });
});

describe('pgEdge and pglogical nodes', () => {
  it('fill the replication set after the restore and before the subscription is enabled', () => {
    const plan = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));
    const g = buildGraph(plan, 'apply');
    for (const n of ['n1', 'n2']) {
      expect(task(g, `repset:${n}`)).toMatchObject({ kind: 'add-to-replication-set', phase: 'subscribe', node: n, deps: [`restore:${n}`] });
      expect(task(g, `enable:${n}`).deps).toEqual([`subscription:${n}`, `repset:${n}`]);
    }
    expect(task(g, 'repset:n2').title).toBe('Add the restored tables to Spock replication set default_insert_only on n2');
  });

  it('only for the nodes of those kinds', () => {
    const plan = planFromFile(join(FIXTURES, 'valid', 'every-option.yaml'));
    const g = buildGraph(plan, 'apply');
    expect(ids(g)).not.toContain('repset:n1'); // postgres
    expect(task(g, 'repset:n2').title).toContain('pglogical replication set sales_set');
    expect(task(g, 'enable:n2').deps).toContain('repset:n2');
  });

  it('plain PostgreSQL nodes have no replication-set task', () => {
    expect(ids(buildGraph(planFromFile(TWO_NODE_PLAN), 'apply')).some((id) => id.startsWith('repset:'))).toBe(false);
  });
});

describe('hooks', () => {
  it('before a task: between its dependencies and it', () => {
    const g = buildGraph(withHooks('  - before: dump\n    sql: CHECKPOINT\n'), 'apply');
    expect(task(g, 'hook:1').deps).toEqual(['anchor']);
    expect(task(g, 'dump').deps).toEqual(['anchor', 'hook:1']);
    expect(ids(g).indexOf('hook:1')).toBe(ids(g).indexOf('anchor') + 1);
  });

  it('after a task: between it and what follows it', () => {
    const g = buildGraph(withHooks('  - after: dump\n    run: ./dumped.sh\n'), 'apply');
    expect(task(g, 'hook:1').deps).toEqual(['dump']);
    expect(task(g, 'restore:n1').deps).toEqual(['dump', 'hook:1']);
    expect(task(g, 'restore:n2').deps).toEqual(['dump', 'hook:1']);
  });

  it('before a phase: before its first tasks, after what precedes the phase', () => {
    const g = buildGraph(withHooks('  - before: restore\n    run: ./about-to-restore.sh\n'), 'apply');
    expect(task(g, 'hook:1')).toMatchObject({ deps: ['dump'], phase: 'restore' });
    expect(task(g, 'restore:n1').deps).toEqual(['dump', 'hook:1']);
    expect(task(g, 'restore:n2').deps).toEqual(['dump', 'hook:1']);
  });

  it('after a phase: after its last tasks, before what follows the phase', () => {
    const g = buildGraph(withHooks('  - after: subscribe\n    sql: SELECT 1\n    on: nodes\n'), 'apply');
    expect(task(g, 'hook:1').deps).toEqual(['enable:n1', 'enable:n2']);
    expect(task(g, 'catch-up').deps).toEqual(['enable:n1', 'enable:n2', 'settings:n1', 'settings:n2', 'hook:1']);
  });

  it('before and after a whole stage', () => {
    const plan = withHooks('  - before: apply\n    run: ./start.sh\n  - after: cutover\n    run: ./done.sh\n');
    const apply = buildGraph(plan, 'apply');
    expect(ids(apply)[0]).toBe('hook:1');
    expect(task(apply, 'publication:n1').deps).toEqual(['hook:1']);
    expect(ids(apply)).not.toContain('hook:2');
    const cutover = buildGraph(plan, 'cutover');
    expect(ids(cutover).at(-1)).toBe('hook:2');
    expect(task(cutover, 'hook:2').deps).toEqual(['reopen', 'vacuum:n1', 'vacuum:n2']);
  });

  it('on one side of one target run in the order written', () => {
    const g = buildGraph(withHooks('  - after: dump\n    run: ./a.sh\n  - after: dump\n    run: ./b.sh\n  - before: dump\n    run: ./c.sh\n  - before: dump\n    run: ./d.sh\n'), 'apply');
    const order = ids(g).filter((id) => id.startsWith('hook:') || id === 'dump');
    expect(order).toEqual(['hook:3', 'hook:4', 'dump', 'hook:1', 'hook:2']);
    expect(task(g, 'hook:2').deps).toEqual(['hook:1']);
    expect(task(g, 'restore:n1').deps).toEqual(['dump', 'hook:1', 'hook:2']);
  });

  it('after a phase waits for hooks attached inside it', () => {
    const g = buildGraph(withHooks('  - after: restore:n1\n    sql: ANALYZE\n    on: n1\n  - after: restore\n    run: ./restored.sh\n'), 'apply');
    expect(ancestors(g, 'hook:2').has('hook:1')).toBe(true);
  });

  it('a hook after a task inside a phase and one before the phase make no cycle', () => {
    const g = buildGraph(withHooks('  - after: drop-subscription:n1\n    run: ./one.sh\n  - before: cleanup\n    run: ./two.sh\n'), 'cutover');
    expect(task(g, 'hook:2').deps).toEqual(['switch']);
    expect(task(g, 'drop-subscription:n1').deps).toEqual(['switch', 'hook:2']);
    expect(task(g, 'hook:1').deps).toEqual(['drop-subscription:n1']);
  });

  it('anywhere, in any number, they never make a cycle and always keep their side of the target', () => {
    const plan = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));
    const targets = [...hookTargets(plan).keys()];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 400; round++) {
      const hooks = Array.from({ length: 1 + random(6) }, () => ({
        [random(2) ? 'before' : 'after']: targets[random(targets.length)],
        run: 'true',
        on: 'source',
        timeout_seconds: 600,
        continue_on_error: false,
      }));
      const p: ResolvedPlan = { ...plan, hooks };
      for (const stage of ['apply', 'cutover'] as const) {
        const g = buildGraph(p, stage); // throws on a cycle
        hooks.forEach((h, i) => {
          const id = `hook:${i + 1}`;
          const target = (h.before ?? h.after) as string;
          if (hookTargets(p).get(target) !== stage) return expect(ids(g)).not.toContain(id);
          const targeted = g.tasks.filter((t) => t.kind !== 'hook' && (t.id === target || t.phase === target || t.stage === target));
          for (const t of targeted) {
            if (h.before) expect(ancestors(g, t.id).has(id), `${JSON.stringify(hooks)}: ${id} before ${t.id}`).toBe(true);
            else expect(ancestors(g, id).has(t.id), `${JSON.stringify(hooks)}: ${id} after ${t.id}`).toBe(true);
          }
        });
      }
    }
  });
});

describe('topologicalOrder', () => {
  const spec = (id: string, deps: string[]): TaskSpec => ({ id, deps, kind: 'hook', stage: 'apply', phase: 'prepare', title: id });

  it('keeps declaration order where dependencies allow', () => {
    expect(topologicalOrder([spec('c', ['a']), spec('a', []), spec('b', [])]).map((t) => t.id)).toEqual(['a', 'c', 'b']);
  });

  it('reports a cycle', () => {
    expect(() => topologicalOrder([spec('a', ['c']), spec('b', ['a']), spec('c', ['b'])])).toThrow(/dependency cycle through [abc]/);
    expect(() => topologicalOrder([spec('a', ['a'])])).toThrow('dependency cycle through a');
  });

  it('reports a dependency on a task that does not exist', () => {
    expect(() => topologicalOrder([spec('a', ['ghost'])])).toThrow('task a depends on unknown task ghost');
  });
});

describe('copy.method stream', () => {
  const g = buildGraph(planFromText(`${TWO_NODES}copy:\n  method: stream\n`, {}), 'apply');
  it('dumps only the schema, creates the tables on every node, streams the data once into all, then builds the indexes per node', () => {
    expect(ids(g).filter((id) => /^(anchor|dump|pre-data|copy|restore)/.test(id))).toEqual(['anchor', 'dump', 'pre-data:n1', 'pre-data:n2', 'copy', 'restore:n1', 'restore:n2']);
    expect(task(g, 'dump').kind).toBe('dump-schema');
    expect(task(g, 'copy').deps).toEqual(['pre-data:n1', 'pre-data:n2']);
    expect(task(g, 'restore:n2')).toMatchObject({ kind: 'restore-post-data', deps: ['copy'] });
    expect(task(g, 'subscription:n1').deps).toEqual(['restore:n1']);
  });
  it('the anchor counts as done only once the copy, the last reader of its snapshot, is done', () => {
    expect(task(g, 'anchor').durableWith).toBe('copy');
    expect(task(buildGraph(planFromText(`${TWO_NODES}${DUMP}`, {}), 'apply'), 'anchor').durableWith).toBe('dump');
  });
});

describe('ddl.guard', () => {
  it('installs the guard once the dump has read the source, and removes it after the switch; off, neither task exists', () => {
    for (const copy of ['', 'copy:\n  method: stream\n']) {
      const plan = planFromText(`${TWO_NODES}${copy}ddl:\n  guard: warn\n`, {});
      const apply = buildGraph(plan, 'apply');
      expect(task(apply, 'ddl-guard').deps).toEqual(['dump']);
      expect(ancestors(apply, 'ddl-guard')).toContain('anchor');
      const cutover = buildGraph(plan, 'cutover');
      expect(ancestors(cutover, 'remove-ddl-guard')).toContain('switch');
      expect(ancestors(cutover, 'freeze')).not.toContain('remove-ddl-guard');
    }
    const off = planFromText(TWO_NODES, {});
    expect(ids(buildGraph(off, 'apply'))).not.toContain('ddl-guard');
    expect(ids(buildGraph(off, 'cutover'))).not.toContain('remove-ddl-guard');
  });
});
