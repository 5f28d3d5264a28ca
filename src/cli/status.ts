import { existsSync } from 'node:fs';
import { loadPlan, stateDir } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { readSlots, readSubscription, formatBytes, type SlotState, type SubscriptionState } from '../pg/replication-state.js';
import { fallbackStatus } from './status-fallback.js';

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
export async function statusCommand(file: string, opts: { json?: boolean; stateDir?: string }, out: (s: string) => void): Promise<number> {
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
  const fallback = await fallbackStatus(loaded, facts, file);
  const healthy = !sourceError && nodes.every((n) => !n.error && n.state?.exists && n.state.enabled && n.state.worker_pid && n.slot_state);
  if (opts.json) {
    out(JSON.stringify({ plan: plan.name, healthy, source_error: sourceError ?? null, writes_frozen_since: frozen?.frozen_at ?? null, nodes, fallback: fallback.status, notes: fallback.notes }, null, 2) + '\n');
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
  out(`\n${healthy ? 'Every node is streaming.' : 'Not every node is streaming (see above).'}\n`);
  if (frozenNote) out(`\n${frozenNote}\n`);
  for (const note of fallback.notes) out(`\n${note}\n`);
  return healthy ? 0 : 1;
}
