// The plan as the rest of the tool sees it: the schema's type, with the
// sections and settings that have schema defaults filled in by validation
// (ajv useDefaults). test/unit/plan-defaults.test.ts keeps this list honest.
import type { Plan, ReplicationSet, Node, Hook, Action, Publish } from './plan.types.js';

export type { Plan, ReplicationSet, Node, Hook, Action, Publish };

type Filled<T, K extends keyof NonNullable<T>> = NonNullable<T> & Required<Pick<NonNullable<T>, K>>;
type Cutover = NonNullable<Plan['cutover']>;

export type NodeKind = NonNullable<Node['kind']>;

export type ResolvedPlan = Omit<Plan, 'nodes' | 'source' | 'dump' | 'copy' | 'restore' | 'catch_up' | 'cutover' | 'hooks' | 'publish' | 'tools' | 'compare' | 'ddl'> & {
  source: Filled<Plan['source'], 'lock_timeout_seconds'>;
  nodes: (Node & { kind: NodeKind; replication_set: string })[];
  publish: Publish;
  tools: NonNullable<Plan['tools']>;
  dump: Filled<Plan['dump'], 'jobs'>;
  copy: Filled<Plan['copy'], 'method' | 'jobs' | 'split_above_mb' | 'binary'>;
  restore: Filled<Plan['restore'], 'jobs' | 'no_owner' | 'no_privileges'>;
  catch_up: Filled<Plan['catch_up'], 'max_lag_bytes' | 'timeout_seconds'>;
  cutover: Filled<Cutover, 'max_lag_bytes' | 'freeze' | 'timeout_seconds' | 'check' | 'vacuum'> & {
    sequences: Filled<Cutover['sequences'], 'gap' | 'allow_copy_on_multi_master'>;
  };
  hooks: (Hook & { on: string; timeout_seconds: number; continue_on_error: boolean })[];
  compare: Filled<Plan['compare'], 'max_slowdown' | 'min_difference_ms' | 'duration_seconds' | 'warmup_seconds' | 'concurrency' | 'statement_timeout_seconds'>;
  ddl: Filled<Plan['ddl'], 'guard'>;
};

/** Whether the plan's node `node` is a pgEdge node (Spock's DDL settings, queue and replication sets apply). */
export function isPgedgeNode(plan: ResolvedPlan, node: string): boolean {
  return plan.nodes.find((n) => n.name === node)?.kind === 'pgedge';
}

/** Sections created empty before validation so that ajv fills their defaults. */
export const SECTIONS_WITH_DEFAULTS = ['publish', 'tools', 'dump', 'copy', 'restore', 'catch_up', 'cutover', 'hooks', 'compare', 'ddl'] as const;

/**
 * A hook's SQL as the plan file has it, ${VAR} references unexpanded, for
 * `plan` and `runbook` to show (the plan's own value is expanded, for running).
 * Kept beside the plan rather than in it: the plan's shape is the schema's.
 */
const sqlWritten = new WeakMap<object, string>();

export function rememberSqlAsWritten(action: object, sql: string): void {
  sqlWritten.set(action, sql);
}

export function sqlAsWritten(action: { sql?: string }): string | undefined {
  return sqlWritten.get(action) ?? action.sql;
}
