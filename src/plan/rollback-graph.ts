// The way back (cutover.fallback): the tasks the cutover gains to set up the
// reverse stream, and the rollback and finalize stages.
import type { ResolvedPlan } from './plan.js';
import type { TaskSpec } from './graph.js';
import { fallbackOf } from './fallback.js';

/**
 * The reverse stream is set up between the drain and the switch: the node has
 * everything the source has and no application write yet, so a slot created
 * on it then starts exactly where the source stands (the apply stage's
 * exactness argument, in reverse). It is enabled only once the forward
 * subscriptions are gone: PostgreSQL 15's pgoutput sends changes whatever
 * their origin, so the source's forward slots would send the reverse stream's
 * writes back to the nodes.
 */
export function fallbackCutoverTasks(plan: ResolvedPlan, t: TaskSpec[]): void {
  const f = fallbackOf(plan)!;
  t.push({ id: 'fallback-slot', kind: 'create-fallback-slot', stage: 'cutover', phase: 'check', title: `Create the fallback publication ${f.publication} and slot ${f.slot} on ${f.node}`, deps: ['drain'], node: f.node });
  t.push({ id: 'fallback-subscription', kind: 'create-fallback-subscription', stage: 'cutover', phase: 'check', title: `Create the fallback subscription ${f.subscription} on the source, disabled, at the slot's point`, deps: ['fallback-slot'], node: f.node });
  t.find((x) => x.id === 'switch')!.deps.push('fallback-subscription');
  const last = t.find((x) => x.id === 'drop-publications')!;
  t.push({ id: 'fallback-enable', kind: 'enable-fallback', stage: 'cutover', phase: 'cleanup', title: `Enable the fallback subscription ${f.subscription} on the source`, deps: [last.id], node: f.node });
  const reopen = t.find((x) => x.id === 'reopen');
  if (reopen) reopen.deps.push('fallback-enable');
}

export function rollbackTasks(plan: ResolvedPlan): TaskSpec[] {
  const f = fallbackOf(plan);
  const node = f?.node;
  const t: TaskSpec[] = [];
  t.push({ id: 'rollback-ready', kind: 'rollback-ready', stage: 'rollback', phase: 'ready', title: 'Check the fallback stream is running', deps: [], node });
  t.push({ id: 'freeze-nodes', kind: 'freeze-nodes', stage: 'rollback', phase: 'freeze', title: 'Freeze writes on every node', deps: ['rollback-ready'] });
  t.push({ id: 'rollback-drain', kind: 'rollback-drain', stage: 'rollback', phase: 'drain', title: `Wait until the source has applied ${node}'s frozen position`, deps: ['freeze-nodes'], node });
  t.push({ id: 'rollback-sequences', kind: 'rollback-sequences', stage: 'rollback', phase: 'sequences', title: 'Set the source\'s sequences past every value the nodes handed out', deps: ['rollback-drain'] });
  t.push({ id: 'rollback-check', kind: 'rollback-check', stage: 'rollback', phase: 'check', title: `Compare the source with ${node}`, deps: ['rollback-drain'], node });
  t.push({ id: 'rollback-switch', kind: 'rollback-switch', stage: 'rollback', phase: 'switch', title: 'Switch the application back to the source', deps: ['rollback-sequences', 'rollback-check'] });
  t.push({ id: 'unfreeze-source', kind: 'unfreeze-source', stage: 'rollback', phase: 'switch', title: 'Make the source writable', deps: ['rollback-switch'] });
  t.push({ id: 'drop-fallback', kind: 'drop-fallback', stage: 'rollback', phase: 'cleanup', title: 'Drop the fallback stream (subscription on the source, slot and publication on the node)', deps: ['unfreeze-source'], node });
  return t;
}

export function finalizeTasks(plan: ResolvedPlan): TaskSpec[] {
  const node = fallbackOf(plan)?.node;
  return [{ id: 'finalize-drop-fallback', kind: 'drop-fallback', stage: 'finalize', phase: 'cleanup', title: 'Drop the fallback stream (subscription on the source, slot and publication on the node); the source stays read-only', deps: [], node }];
}
