// `migrate status` on pgEdge nodes: beside the native streams from the source,
// the Spock subscriptions between the nodes, which carry the writes after the cutover.
import type { ResolvedPlan } from '../plan/plan.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { readSpockSubscriptions, type SpockSubscription } from '../pg/spock-subscriptions.js';

export interface SpockStatus {
  node: string;
  /** null when Spock is not created in the node's database. */
  subscriptions: SpockSubscription[] | null;
  error?: string;
}

export async function readSpockStatus(plan: ResolvedPlan): Promise<SpockStatus[]> {
  return Promise.all(
    plan.nodes
      .filter((n) => n.kind === 'pgedge')
      .map(async (n) => {
        try {
          return { node: n.name, subscriptions: (await withClient(n.dsn, `node ${n.name}`, readSpockSubscriptions)) ?? null };
        } catch (e) {
          return { node: n.name, subscriptions: null, error: pgErrorText(e) };
        }
      }),
  );
}

/** Every pgEdge node has Spock and every Spock subscription replicates. */
export function spockHealthy(status: SpockStatus[]): boolean {
  return status.every((s) => !s.error && s.subscriptions && s.subscriptions.every((x) => x.status === 'replicating'));
}

export function formatSpockStatus(status: SpockStatus[]): string {
  if (!status.length) return '';
  const header = ['node', 'spock subscription', 'from', 'status', 'forward origins'];
  const rows = status.flatMap((s) => {
    if (s.error) return [[s.node, `error: ${s.error}`, '-', '-', '-']];
    if (!s.subscriptions) return [[s.node, '(spock not created)', '-', '-', '-']];
    if (!s.subscriptions.length) return [[s.node, '(none)', '-', '-', '-']];
    return s.subscriptions.map((x) => [s.node, x.name, x.provider, x.status, x.forward_origins.length ? x.forward_origins.join(',') : 'none']);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return `\nSpock, between the nodes:\n${line(header)}${line(widths.map((w) => '-'.repeat(w)))}${rows.map(line).join('')}`;
}
