// The migration as a dependency graph of tasks. `apply` runs the apply stage,
// `cutover` the cutover stage; `plan` and `runbook` print both. Everything that
// runs is a node here, hooks included, so the runbook and the executor cannot
// disagree about order.
import type { ResolvedPlan, ReplicationSet } from './plan.js';
import { fallbackOf } from './fallback.js';
import { fallbackCutoverTasks, rollbackTasks, finalizeTasks } from './rollback-graph.js';
import { guardMode } from '../render/ddl-guard.js';
import type { DdlStep } from '../ddl/ddl-graph.js';

export type Stage = 'apply' | 'cutover' | 'rollback' | 'finalize' | 'ddl';

export const PHASES = {
  apply: ['prepare', 'snapshot', 'restore', 'subscribe', 'catch-up'],
  cutover: ['ready', 'freeze', 'drain', 'sequences', 'check', 'switch', 'cleanup'],
  rollback: ['ready', 'freeze', 'drain', 'sequences', 'check', 'switch', 'cleanup'],
  finalize: ['cleanup'],
  ddl: ['nodes-first', 'source', 'confirm', 'nodes', 'subscriptions'],
} as const;

export type Phase = (typeof PHASES)[Stage][number];

export type TaskKind =
  | 'create-publication'
  | 'create-slot'
  | 'export-snapshot'
  | 'dump'
  | 'restore'
  | 'dump-schema'
  | 'restore-pre-data'
  | 'copy-tables'
  | 'restore-post-data'
  | 'copy-database-settings'
  | 'create-subscription'
  | 'add-to-replication-set'
  | 'enable-subscription'
  | 'catch-up'
  | 'cutover-ready'
  | 'freeze-writes'
  | 'drain'
  | 'convert-sequences'
  | 'sync-sequences'
  | 'quick-check'
  | 'switch'
  | 'drop-subscription'
  | 'drop-slots'
  | 'drop-publications'
  | 'vacuum'
  | 'reopen-source'
  | 'create-fallback-slot'
  | 'create-fallback-subscription'
  | 'enable-fallback'
  | 'rollback-ready'
  | 'freeze-nodes'
  | 'rollback-drain'
  | 'rollback-sequences'
  | 'rollback-check'
  | 'rollback-switch'
  | 'unfreeze-source'
  | 'drop-fallback'
  | 'install-ddl-guard'
  | 'remove-ddl-guard'
  | 'ddl-statement'
  | 'ddl-publish'
  | 'ddl-repset'
  | 'ddl-sync'
  | 'ddl-confirm'
  | 'ddl-unsubscribe'
  | 'ddl-mark'
  | 'hook';

export interface TaskSpec {
  id: string;
  kind: TaskKind;
  stage: Stage;
  phase: Phase;
  title: string;
  deps: string[];
  /** The node the task concerns, when it concerns one. */
  node?: string;
  replication?: ReplicationSet;
  /** Index into plan.hooks, for kind 'hook'. */
  hookIndex?: number;
  /**
   * A task whose result only lives as long as another task's run: the snapshot
   * anchor's exported snapshot dies with its connection, so a journal entry for
   * it counts only once the dump that used it is done.
   */
  durableWith?: string;
  /** A `migrate ddl` step: its change, its statement, where it runs (src/ddl/ddl-graph.ts). */
  ddl?: DdlStep;
}

export interface TaskGraph {
  stage: Stage;
  tasks: TaskSpec[]; // in a valid execution order
}

function applyTasks(plan: ResolvedPlan): TaskSpec[] {
  const t: TaskSpec[] = [];
  const sets = plan.replication;
  for (const r of sets) {
    t.push({ id: `publication:${r.node}`, kind: 'create-publication', stage: 'apply', phase: 'prepare', title: `Create publication ${r.publication} on the source`, deps: [], node: r.node, replication: r });
  }
  for (const r of sets) {
    // A slot's decoding looks publications up in its own historic snapshot: a
    // publication created after its slot is invisible to it.
    t.push({ id: `slot:${r.node}`, kind: 'create-slot', stage: 'apply', phase: 'prepare', title: `Create slot ${r.slot} on the source`, deps: [`publication:${r.node}`], node: r.node, replication: r });
  }
  // The anchor comes after every node's slot: each slot then holds all WAL from
  // before the anchor, and the stream it serves can start exactly at it.
  const stream = plan.copy?.method === 'stream';
  // The last task that reads the anchor's snapshot: the anchor is durable only with it.
  t.push({ id: 'anchor', kind: 'export-snapshot', stage: 'apply', phase: 'snapshot', title: 'Export the snapshot anchor', deps: sets.map((r) => `slot:${r.node}`), durableWith: stream ? 'copy' : 'dump' });
  if (stream) t.push(...streamCopyTasks(plan));
  else {
    t.push({ id: 'dump', kind: 'dump', stage: 'apply', phase: 'snapshot', title: 'Dump the source at the anchor snapshot', deps: ['anchor'] });
    for (const n of plan.nodes) {
      t.push({ id: `restore:${n.name}`, kind: 'restore', stage: 'apply', phase: 'restore', title: `Restore the dump onto ${n.name}`, deps: ['dump'], node: n.name });
    }
  }
  // Once the dump has read the source: neither the guard's schema nor its event triggers may reach the nodes.
  if (guardMode(plan)) t.push({ id: 'ddl-guard', kind: 'install-ddl-guard', stage: 'apply', phase: 'snapshot', title: `Install the DDL guard on the source (ddl.guard: ${guardMode(plan)})`, deps: ['dump'] });
  for (const n of plan.nodes) {
    // A dump without --create leaves out ALTER DATABASE ... SET and ALTER ROLE ... IN DATABASE ... SET.
    t.push({ id: `settings:${n.name}`, kind: 'copy-database-settings', stage: 'apply', phase: 'restore', title: `Give ${n.name}'s database the source database's settings`, deps: [`restore:${n.name}`], node: n.name });
  }
  for (const r of sets) {
    // Validation builds this graph to know the hook targets before it has
    // reported a replication entry naming an unknown node: treat that as plain.
    const node = plan.nodes.find((n) => n.name === r.node);
    t.push({ id: `subscription:${r.node}`, kind: 'create-subscription', stage: 'apply', phase: 'subscribe', title: `Create subscription ${r.subscription} on ${r.node}, disabled, at the anchor`, deps: [`restore:${r.node}`], node: r.node, replication: r });
    const enableDeps = [`subscription:${r.node}`];
    if (node && node.kind !== 'postgres') {
      // Filling the replication set while the native apply worker runs can
      // deadlock with it (MECHANICS.md): do it before the stream is enabled.
      t.push({ id: `repset:${r.node}`, kind: 'add-to-replication-set', stage: 'apply', phase: 'subscribe', title: `Add the restored tables to ${node.kind === 'pgedge' ? 'Spock' : 'pglogical'} replication set ${node.replication_set} on ${r.node}`, deps: [`restore:${r.node}`], node: r.node });
      enableDeps.push(`repset:${r.node}`);
    }
    t.push({ id: `enable:${r.node}`, kind: 'enable-subscription', stage: 'apply', phase: 'subscribe', title: `Enable subscription ${r.subscription} on ${r.node}`, deps: enableDeps, node: r.node, replication: r });
  }
  t.push({ id: 'catch-up', kind: 'catch-up', stage: 'apply', phase: 'catch-up', title: 'Wait until every node has caught up', deps: [...sets.map((r) => `enable:${r.node}`), ...plan.nodes.map((n) => `settings:${n.name}`)] });
  return t;
}

/**
 * copy.method stream: the same ids as the dump path where they mean the same
 * (`dump`, `restore:<node>` = the node is fully restored), so hooks and
 * resumption read alike. Only the schema goes to disk; the data goes from one
 * read of the source into every node at once.
 */
function streamCopyTasks(plan: ResolvedPlan): TaskSpec[] {
  const t: TaskSpec[] = [];
  t.push({ id: 'dump', kind: 'dump-schema', stage: 'apply', phase: 'snapshot', title: 'Dump the schema (pre-data and post-data) at the anchor snapshot', deps: ['anchor'] });
  for (const n of plan.nodes) {
    t.push({ id: `pre-data:${n.name}`, kind: 'restore-pre-data', stage: 'apply', phase: 'restore', title: `Create the tables on ${n.name} (pre-data)`, deps: ['dump'], node: n.name });
  }
  t.push({ id: 'copy', kind: 'copy-tables', stage: 'apply', phase: 'restore', title: `Stream every table from the source into ${plan.nodes.map((n) => n.name).join(', ')} at once, at the anchor snapshot`, deps: plan.nodes.map((n) => `pre-data:${n.name}`) });
  for (const n of plan.nodes) {
    t.push({ id: `restore:${n.name}`, kind: 'restore-post-data', stage: 'apply', phase: 'restore', title: `Build indexes, constraints and triggers on ${n.name} (post-data)`, deps: ['copy'], node: n.name });
  }
  return t;
}

function cutoverTasks(plan: ResolvedPlan): TaskSpec[] {
  const t: TaskSpec[] = [];
  const nodes = plan.nodes.map((n) => n.name);
  const sets = plan.replication;
  // Snowflake ids depend on no value of the source: the conversion (a table
  // rewrite for a 4-byte key) runs before the freeze, not during it.
  const early = plan.cutover?.sequences?.strategy === 'snowflake' ? nodes.map((n) => `snowflake:${n}`) : [];
  for (const n of nodes) if (early.length) t.push({ id: `snowflake:${n}`, kind: 'convert-sequences', stage: 'cutover', phase: 'ready', title: `Convert the sequences columns use to Snowflake on ${n}, before the freeze`, deps: [], node: n });
  t.push({ id: 'ready', kind: 'cutover-ready', stage: 'cutover', phase: 'ready', title: 'Check every node is streaming and under the lag threshold', deps: early });
  t.push({ id: 'freeze', kind: 'freeze-writes', stage: 'cutover', phase: 'freeze', title: 'Freeze writes on the source', deps: ['ready'] });
  t.push({ id: 'drain', kind: 'drain', stage: 'cutover', phase: 'drain', title: 'Wait until every node has applied the frozen position', deps: ['freeze'] });
  for (const n of nodes) t.push({ id: `sequences:${n}`, kind: 'sync-sequences', stage: 'cutover', phase: 'sequences', title: `Set sequences on ${n}`, deps: ['drain'], node: n });
  for (const n of nodes) t.push({ id: `check:${n}`, kind: 'quick-check', stage: 'cutover', phase: 'check', title: `Compare ${n} with the frozen source`, deps: ['drain'], node: n });
  t.push({ id: 'switch', kind: 'switch', stage: 'cutover', phase: 'switch', title: 'Switch the application to the nodes', deps: [...nodes.map((n) => `sequences:${n}`), ...nodes.map((n) => `check:${n}`)] });
  for (const r of sets) t.push({ id: `drop-subscription:${r.node}`, kind: 'drop-subscription', stage: 'cutover', phase: 'cleanup', title: `Drop subscription ${r.subscription} on ${r.node}`, deps: ['switch'], node: r.node, replication: r });
  t.push({ id: 'drop-slots', kind: 'drop-slots', stage: 'cutover', phase: 'cleanup', title: 'Confirm the slots are gone from the source', deps: sets.map((r) => `drop-subscription:${r.node}`) });
  t.push({ id: 'drop-publications', kind: 'drop-publications', stage: 'cutover', phase: 'cleanup', title: 'Drop the publications on the source', deps: ['drop-slots'] });
  // After the switch: DDL on the source no longer matters to the nodes. One source step after another, in the cutover's sessions.
  if (guardMode(plan)) t.push({ id: 'remove-ddl-guard', kind: 'remove-ddl-guard', stage: 'cutover', phase: 'cleanup', title: 'Remove the DDL guard from the source', deps: ['drop-publications'] });
  // The builtin freeze closes the source database to new connections until its own objects are gone from it.
  if (plan.cutover.freeze !== 'hook') t.push({ id: 'reopen', kind: 'reopen-source', stage: 'cutover', phase: 'cleanup', title: 'Open the source database to connections again (it stays read-only)', deps: ['drop-publications'] });
  if (fallbackOf(plan)) fallbackCutoverTasks(plan, t);
  if (plan.cutover.vacuum) {
    for (const n of nodes) t.push({ id: `vacuum:${n}`, kind: 'vacuum', stage: 'cutover', phase: 'cleanup', title: `Rebuild statistics on ${n} (vacuumdb -Z)`, deps: [`drop-subscription:${n}`], node: n });
  }
  return t;
}

/** Task ids, phase names and stage names a hook may name, per stage. */
export function hookTargets(plan: ResolvedPlan): Map<string, Stage> {
  const out = new Map<string, Stage>();
  for (const stage of ['apply', 'cutover'] as const) {
    out.set(stage, stage);
    for (const p of PHASES[stage]) out.set(p, stage);
    for (const task of (stage === 'apply' ? applyTasks : cutoverTasks)(plan)) out.set(task.id, stage);
  }
  return out;
}

export function buildGraph(plan: ResolvedPlan, stage: Stage): TaskGraph {
  if (stage === 'ddl') throw new Error('a ddl stage\'s graph comes from its change (src/ddl/ddl-graph.ts)');
  const tasks = stage === 'apply' ? applyTasks(plan) : stage === 'cutover' ? cutoverTasks(plan) : stage === 'rollback' ? rollbackTasks(plan) : finalizeTasks(plan);
  // The tasks each hook placed so far is attached to.
  const attachedTo = new Map<string, { ids: Set<string>; before: boolean }>();
  // Hooks attach to apply and cutover; rollback and finalize have their own switch_hook.
  (stage === 'apply' || stage === 'cutover' ? plan.hooks : []).forEach((hook, index) => {
    const target = (hook.before ?? hook.after)!;
    // A target is a task, a phase (its tasks), or a stage, apply or cutover (all its tasks).
    const targeted = tasks.filter((t) => t.kind !== 'hook' && (t.id === target || t.phase === target || t.stage === target));
    if (targeted.length === 0) return;
    const targetIds = new Set(targeted.map((m) => m.id));
    // Hooks attached inside the target belong to it: "after restore" waits for a
    // hook after restore:n1 too. Only a hook before the very same target stays
    // outside, so that hooks on one side of one target run in the order written.
    const inside = (id: string): boolean => {
      const a = attachedTo.get(id);
      if (!a || ![...a.ids].every((x) => targetIds.has(x))) return false;
      return !(hook.before && a.before && a.ids.size === targetIds.size);
    };
    const members = tasks.filter((t) => targetIds.has(t.id) || inside(t.id));
    const memberIds = new Set(members.map((m) => m.id));
    const id = `hook:${index + 1}`;
    const title = `Hook ${hook.name ? `"${hook.name}"` : index + 1} ${hook.before ? 'before' : 'after'} ${target}`;
    const phase = (hook.after ? targeted[targeted.length - 1] : targeted[0]).phase;
    const spec: TaskSpec = { id, kind: 'hook', stage, phase, title, deps: [], hookIndex: index };
    // Edges to or from tasks outside the target must keep their side of it
    // (a hook placed earlier may sit between two of its tasks), or the graph
    // gets a cycle.
    if (hook.after) {
      const upstream = closure(tasks, memberIds, 'deps');
      // Waiting for the target's last tasks is waiting for all of it.
      spec.deps = members.filter((m) => !members.some((o) => o.deps.includes(m.id))).map((m) => m.id);
      // Whatever follows the target waits for the hook too: "after X" holds at X's place in the graph.
      for (const t of tasks) {
        if (!memberIds.has(t.id) && !upstream.has(t.id) && t.deps.some((d) => memberIds.has(d))) t.deps.push(id);
      }
    } else {
      const downstream = closure(tasks, memberIds, 'dependents');
      spec.deps = [...new Set(members.flatMap((m) => m.deps).filter((d) => !memberIds.has(d) && !downstream.has(d)))];
      for (const m of members) if (!m.deps.some((d) => memberIds.has(d))) m.deps.push(id);
    }
    tasks.push(spec);
    attachedTo.set(id, { ids: targetIds, before: Boolean(hook.before) });
  });
  return { stage, tasks: topologicalOrder(tasks) };
}

/** Every task the given ones depend on (deps), or that depends on them (dependents), transitively; the given ones excluded. */
function closure(tasks: TaskSpec[], from: Set<string>, direction: 'deps' | 'dependents'): Set<string> {
  const next = new Map<string, string[]>();
  for (const t of tasks) {
    if (direction === 'deps') next.set(t.id, t.deps);
    else for (const d of t.deps) next.set(d, [...(next.get(d) ?? []), t.id]);
  }
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length) {
    for (const n of next.get(stack.pop()!) ?? []) {
      if (seen.has(n) || from.has(n)) continue;
      seen.add(n);
      stack.push(n);
    }
  }
  return seen;
}

/** Stable order: a task comes after its dependencies, otherwise in the order it was declared. */
export function topologicalOrder(tasks: TaskSpec[]): TaskSpec[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const done = new Set<string>();
  const out: TaskSpec[] = [];
  const visiting = new Set<string>();
  const visit = (t: TaskSpec) => {
    if (done.has(t.id)) return;
    if (visiting.has(t.id)) throw new Error(`dependency cycle through ${t.id}`);
    visiting.add(t.id);
    for (const d of t.deps) {
      const dep = byId.get(d);
      if (!dep) throw new Error(`task ${t.id} depends on unknown task ${d}`);
      visit(dep);
    }
    visiting.delete(t.id);
    done.add(t.id);
    out.push(t);
  };
  for (const t of tasks) visit(t);
  return out;
}

/**
 * Waves of tasks that may run at the same time: every task in a wave depends
 * only on tasks in earlier waves. What `plan` prints to show concurrency.
 */
export function waves(graph: TaskGraph): TaskSpec[][] {
  const level = new Map<string, number>();
  const out: TaskSpec[][] = [];
  for (const t of graph.tasks) {
    const l = t.deps.length ? Math.max(...t.deps.map((d) => level.get(d)!)) + 1 : 0;
    level.set(t.id, l);
    (out[l] ??= []).push(t);
  }
  return out;
}
