// The reverse stream of cutover.fallback: which node publishes to the source,
// and the names of its objects, derived from the plan's name so that a rerun,
// rollback, finalize and abort all find the same ones.
import type { ResolvedPlan } from './plan.js';

export interface FallbackStream {
  /** The node that publishes (its slot and publication live there). */
  node: string;
  publication: string;
  slot: string;
  /** On the source. */
  subscription: string;
  warnAfterHours: number;
}

export function fallbackOf(plan: ResolvedPlan): FallbackStream | undefined {
  const f = plan.cutover.fallback;
  if (!f?.enabled) return undefined;
  const tag = plan.name.replace(/-/g, '_').slice(0, 40);
  return {
    node: f.node ?? plan.nodes[0]?.name,
    publication: `${tag}_fallback_pub`,
    slot: `${tag}_fallback_slot`,
    subscription: `${tag}_fallback_sub`,
    warnAfterHours: f.warn_after_hours ?? 24,
  };
}

/** How long rollback waits for the source to apply the nodes' frozen position. */
export function rollbackTimeoutSeconds(plan: ResolvedPlan): number {
  return plan.rollback?.timeout_seconds ?? 60;
}
