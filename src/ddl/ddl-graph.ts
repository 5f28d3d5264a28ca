// A schema change as a task graph, one task per (statement, target), in the
// order that keeps every subscription applying: additions on the nodes, then
// on the source; removals on the source, then (once every node has confirmed
// a source position read after it) on the nodes. A new table then joins the
// publications and the subscriptions; a dropped one leaves them. Statements
// follow one another: the next starts once the previous one is everywhere.
import { createHash } from 'node:crypto';
import type { ResolvedPlan } from '../plan/plan.js';
import { topologicalOrder, type TaskGraph, type TaskSpec } from '../plan/graph.js';
import type { DdlStatement } from './classify.js';

export interface DdlStep {
  /** The change's id: what its tasks and the guard's record name it by. */
  change: string;
  /** The statement, its schema resolved on the source where the text leaves it to search_path. */
  statement: DdlStatement;
  /** 'source' or a node's name. */
  target: string;
  /** The guard's record ids this change brings to the nodes (on the mark step). */
  recorded?: string[];
}

/** First 12 hex digits of the SHA-256 of the change's text: the same change always gets the same id. */
export function changeId(text: string): string {
  return createHash('sha256').update(text.trim()).digest('hex').slice(0, 12);
}

export interface DdlChange {
  id: string;
  statements: DdlStatement[];
  /** Statements the guard recorded as run by hand on the source: they run on the nodes only. */
  recorded?: string[];
}

export function buildDdlGraph(plan: ResolvedPlan, change: DdlChange): TaskGraph {
  const tasks: TaskSpec[] = [];
  let after: string[] = [];
  for (const st of change.statements) {
    const made = st.kind === 'additive' ? additiveTasks(plan, change, st, after) : removalTasks(plan, change, st, after);
    tasks.push(...made);
    // The next statement waits for every task of this one.
    after = made.filter((t) => !made.some((o) => o.deps.includes(t.id))).map((t) => t.id);
  }
  if (change.recorded?.length) {
    tasks.push(task(change, change.statements[change.statements.length - 1], 'source', 'ddl-mark', 'subscriptions', `Mark the recorded statements ${change.recorded.join(', ')} as brought to the nodes`, after, 'mark', change.recorded));
  }
  return { stage: 'ddl', tasks: topologicalOrder(tasks) };
}

function task(change: DdlChange, st: DdlStatement, target: string, kind: TaskSpec['kind'], phase: TaskSpec['phase'], title: string, deps: string[], suffix?: string, recorded?: string[]): TaskSpec {
  const id = `ddl:${change.id}:${st.n}:${suffix ?? target}`;
  return { id, kind, stage: 'ddl', phase, title, deps, ...(target !== 'source' ? { node: target } : {}), ddl: { change: change.id, statement: st, target, ...(recorded ? { recorded } : {}) } };
}

function short(st: DdlStatement): string {
  return st.sql.length > 60 ? `${st.sql.slice(0, 57).replace(/\s+/g, ' ')}...` : st.sql.replace(/\s+/g, ' ');
}

function additiveTasks(plan: ResolvedPlan, change: DdlChange, st: DdlStatement, after: string[]): TaskSpec[] {
  const t: TaskSpec[] = [];
  const onNodes: string[] = [];
  for (const n of plan.nodes) {
    const stmt = task(change, st, n.name, 'ddl-statement', 'nodes-first', `Statement ${st.n} on ${n.name}: ${short(st)}`, after);
    t.push(stmt);
    onNodes.push(stmt.id);
    if (st.action === 'create-table' && n.kind !== 'postgres') {
      // Before the table is in any subscription: no apply worker touches it yet.
      const set = task(change, st, n.name, 'ddl-repset', 'nodes-first', `Add the new table to ${n.kind === 'pgedge' ? 'Spock' : 'pglogical'} replication set ${n.replication_set} on ${n.name}`, [stmt.id], `repset:${n.name}`);
      t.push(set);
      onNodes.push(set.id);
    }
  }
  const recorded = Boolean(change.recorded?.length);
  let last = onNodes;
  if (!recorded) {
    const source = task(change, st, 'source', 'ddl-statement', 'source', `Statement ${st.n} on the source: ${short(st)}`, onNodes);
    t.push(source);
    last = [source.id];
  }
  if (st.action === 'create-table') {
    const pub = task(change, st, 'source', 'ddl-publish', 'subscriptions', 'Add the new table to the publications that list their tables', last, 'publication');
    t.push(pub);
    for (const r of plan.replication) {
      t.push(task(change, st, r.node, 'ddl-sync', 'subscriptions', `Refresh subscription ${r.subscription} on ${r.node} and copy the new table's rows`, [pub.id], `sync:${r.node}`));
    }
  }
  return t;
}

function removalTasks(plan: ResolvedPlan, change: DdlChange, st: DdlStatement, after: string[]): TaskSpec[] {
  const t: TaskSpec[] = [];
  let before = after;
  if (!change.recorded?.length) {
    const source = task(change, st, 'source', 'ddl-statement', 'source', `Statement ${st.n} on the source: ${short(st)}`, after);
    t.push(source);
    before = [source.id];
  }
  const confirm = task(change, st, 'source', 'ddl-confirm', 'confirm', `Wait until every node has confirmed a source position after statement ${st.n}`, before, 'confirm');
  t.push(confirm);
  for (const r of plan.replication) {
    let deps = [confirm.id];
    if (st.action === 'drop-table') {
      const un = task(change, st, r.node, 'ddl-unsubscribe', 'nodes', `Refresh subscription ${r.subscription} on ${r.node}: the dropped table leaves it`, deps, `refresh:${r.node}`);
      t.push(un);
      deps = [un.id];
    }
    t.push(task(change, st, r.node, 'ddl-statement', 'nodes', `Statement ${st.n} on ${r.node}: ${short(st)}`, deps));
  }
  return t;
}
