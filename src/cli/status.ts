import { existsSync } from 'node:fs';
import { loadPlan, stateDir } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { readSlots, readSubscription, formatBytes, type SlotState, type SubscriptionState } from '../pg/replication-state.js';
import { planCoverage } from '../verify/plan-coverage.js';
import { formatCoverage } from '../verify/coverage-gaps.js';

interface NodeStatus {
  node: string;
  subscription: string;
  slot: string;
  state?: SubscriptionState;
  slot_state?: SlotState;
  lag_seconds: number | null;
  error?: string;
}

/** `migrate status PLAN`: where replication stands, per node. */
export async function statusCommand(file: string, opts: { json?: boolean; stateDir?: string; watch?: boolean; prometheus?: boolean; interval?: number }, out: (s: string) => void): Promise<number> {
  if (opts.prometheus) return (await import('../metrics/status-modes.js')).printPrometheus(file, opts, out);
  if (opts.watch) return (await import('../metrics/status-modes.js')).watch(file, opts, out);
  const loaded = loadPlan(file);
  const { plan } = loaded;
  // A cutover stopped outright while writes were frozen leaves the source
  // read-only: the one thing status must not keep quiet about.
  const journalFile = Journal.file(stateDir(loaded, opts.stateDir));
  const facts = existsSync(journalFile) ? Journal.open(stateDir(loaded, opts.stateDir), plan.name).facts : {};
  const frozen = facts.freeze && !facts.switched_at ? facts.freeze : undefined;
  const frozenNote = frozen
    ? `!! Writes to the source database ${frozen.database} are frozen since ${frozen.frozen_at} by a cutover that did not finish: run \`migrate cutover ${file}\` to finish it, or \`migrate abort ${file}\` to make the source writable again.`
    : undefined;
  let sourceError: string | undefined;
  let slots: SlotState[] = [];
  try {
    slots = await withClient(plan.source.dsn, 'the source', (c) => readSlots(c, plan.replication.map((r) => r.slot), null));
  } catch (e) {
    sourceError = pgErrorText(e);
  }
  const nodes: NodeStatus[] = await Promise.all(
    plan.replication.map(async (r) => {
      const n = plan.nodes.find((x) => x.name === r.node)!;
      const row: NodeStatus = { node: r.node, subscription: r.subscription, slot: r.slot, slot_state: slots.find((s) => s.slot_name === r.slot), lag_seconds: null };
      try {
        row.state = await withClient(n.dsn, `node ${r.node}`, (c) => readSubscription(c, r.subscription));
        // Idle streams stop moving latest_end_time: no lag is no lag, however old the timestamp.
        if (row.slot_state?.lag_bytes === 0) row.lag_seconds = 0;
        else if (row.state.latest_end_time) {
          row.lag_seconds = Math.max(0, (Date.now() - new Date(row.state.latest_end_time).getTime()) / 1000);
        }
      } catch (e) {
        row.error = pgErrorText(e);
      }
      return row;
    }),
  );
  // Streaming with lag 0 says nothing of a table the subscription does not know: its changes are discarded.
  const coverage = sourceError ? [] : await planCoverage(plan, plan.replication);
  const covered = coverage.every((c) => !c.gaps.length);
  const streaming = !sourceError && nodes.every((n) => !n.error && n.state?.exists && n.state.enabled && n.state.worker_pid && n.slot_state);
  const healthy = streaming && covered && !coverage.some((c) => c.error);
  if (opts.json) {
    out(JSON.stringify({ plan: plan.name, healthy, source_error: sourceError ?? null, writes_frozen_since: frozen?.frozen_at ?? null, nodes, coverage }, null, 2) + '\n');
    return healthy ? 0 : 1;
  }
  out(`Plan ${plan.name}${sourceError ? `: source unreachable: ${sourceError}` : ''}\n\n`);
  const header = ['node', 'subscription', 'enabled', 'worker', 'received', 'applied', 'lag', 'lag time', 'slot', 'slot WAL held'];
  const rows = nodes.map((n) => [
    n.node,
    n.error ? `error: ${n.error}` : n.state?.exists ? n.subscription : `${n.subscription} (missing)`,
    n.state?.enabled ? 'yes' : 'no',
    n.state?.worker_pid ? `pid ${n.state.worker_pid}` : 'none',
    n.state?.received_lsn ?? '-',
    n.state?.latest_end_lsn ?? '-',
    formatBytes(n.slot_state?.lag_bytes ?? null),
    n.lag_seconds === null ? '-' : `${n.lag_seconds.toFixed(1)} s`,
    n.slot_state ? `${n.slot}${n.slot_state.active ? '' : ' (inactive)'}` : `${n.slot} (missing)`,
    formatBytes(n.slot_state?.retained_bytes ?? null),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  out(line(header));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out(line(r));
  out(`\n${streaming ? 'Every node is streaming.' : 'Not every node is streaming (see above).'}${covered ? '' : ' Not every published table reaches the nodes (below).'}\n`);
  for (const c of coverage.filter((x) => x.error)) out(`\n${c.node}: cannot compare its subscription with publication ${c.publication}: ${c.error}\n`);
  if (!covered) out(`\n${formatCoverage(coverage)}`);
  if (frozenNote) out(`\n${frozenNote}\n`);
  return healthy ? 0 : 1;
}
