import { existsSync } from 'node:fs';
import { loadPlan, stateDir } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { readSpockStatus, spockHealthy, formatSpockStatus } from './status-spock.js';
import { readSlots, readSubscription, formatBytes, type SlotState, type SubscriptionState } from '../pg/replication-state.js';
import { planCoverage } from '../verify/plan-coverage.js';
import { formatCoverage } from '../verify/coverage-gaps.js';
import { readSourceFreeze } from '../pg/live-state.js';
import { readRunIdentity, describeRun } from '../engine/run-identity.js';
import { describeFrozenSource } from '../render/frozen-source.js';
import { JournalUnreadableError } from '../errors.js';
import type { Facts } from '../facts.js';
import { fallbackStatus } from './status-fallback.js';
import { readPendingDdl, ddlStatusSection } from './pending-ddl.js';
import { planWorkers } from '../verify/plan-workers.js';
import { formatWorkerHealth, workerBroken } from '../verify/worker-restarts.js';

/** The journal's facts; an unreadable journal is said, not a reason to show nothing. */
function journalFacts(dir: string, plan: string): { facts: Facts; problem?: string } {
  if (!existsSync(Journal.file(dir))) return { facts: {} };
  try {
    return { facts: Journal.open(dir, plan).facts };
  } catch (e) {
    if (e instanceof JournalUnreadableError) return { facts: {}, problem: e.message };
    throw e;
  }
}

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
  const { facts, problem: journalProblem } = journalFacts(stateDir(loaded, opts.stateDir), plan.name);
  // Read from the source itself: another state directory's cutover may have frozen it.
  const live = await readSourceFreeze(plan, readRunIdentity(stateDir(loaded, opts.stateDir)), stateDir(loaded, opts.stateDir));
  const otherRun = live.otherRun && describeRun(live.otherRun);
  const frozen = facts.freeze && !facts.switched_at ? facts.freeze : undefined;
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
  // A worker that keeps failing (drift, duplicate keys) holds every later change behind it.
  const [coverage, workers] = await Promise.all([sourceError ? [] : planCoverage(plan, plan.replication, file), planWorkers(plan, plan.replication)]);
  const covered = coverage.every((c) => !c.gaps.length);
  const workersOk = !workers.some(workerBroken);
  const streaming = !sourceError && nodes.every((n) => !n.error && n.state?.exists && n.state.enabled && n.state.worker_pid && n.slot_state);
  const spock = await readSpockStatus(plan);
  const fallback = await fallbackStatus(loaded, facts, file);
  const ddl = await readPendingDdl(plan);
  const ddlPending = Boolean(ddl.pending?.length);
  // A frozen source is never a healthy state to report: the application cannot write.
  const healthy = streaming && covered && workersOk && !coverage.some((c) => c.error) && spockHealthy(spock) && !live.frozen && !frozen && !ddlPending;
  if (opts.json) {
    out(JSON.stringify({ plan: plan.name, healthy, source_error: sourceError ?? null, source_read_only: live.frozen, other_run: live.otherRun ?? null, writes_frozen_since: frozen?.frozen_at ?? null, journal_problem: journalProblem ?? null, nodes, coverage, ...(spock.length ? { spock } : {}), workers, fallback: fallback.status, notes: fallback.notes, ddl_pending: ddl.pending ?? null }, null, 2) + '\n');
    return healthy ? 0 : 1;
  }
  out(`Plan ${plan.name}\n\n`);
  // What could not be read is "unknown", never "missing" or "no": errors are said once, below the table.
  const U = 'unknown';
  const header = ['node', 'subscription', 'enabled', 'worker', 'received', 'applied', 'lag', 'lag time', 'slot', 'slot WAL held'];
  const rows = nodes.map((n) => {
    const sub = n.error ? undefined : n.state;
    const slot = sourceError ? undefined : n.slot_state;
    return [
      n.node,
      n.error ? `${n.subscription} (${U})` : sub?.exists ? n.subscription : `${n.subscription} (missing)`,
      !sub ? U : sub.enabled ? 'yes' : 'no',
      !sub ? U : sub.worker_pid ? `pid ${sub.worker_pid}` : 'none',
      !sub ? U : (sub.received_lsn ?? '-'),
      !sub ? U : (sub.latest_end_lsn ?? '-'),
      sourceError ? U : formatBytes(slot?.lag_bytes ?? null),
      n.lag_seconds === null ? (n.error ? U : '-') : `${n.lag_seconds.toFixed(1)} s`,
      sourceError ? `${n.slot} (${U})` : slot ? `${n.slot}${slot.active ? '' : ' (inactive)'}` : `${n.slot} (missing)`,
      sourceError ? U : formatBytes(slot?.retained_bytes ?? null),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  out(line(header));
  out(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out(line(r));
  const errors = [...(sourceError ? [`source: ${sourceError}`] : []), ...nodes.filter((n) => n.error).map((n) => `${n.node}: ${n.error}`)];
  if (errors.length) out(`\n${errors.map((e) => `error: ${e}`).join('\n')}\n`);
  const streamLine = streaming ? 'Every node is streaming.' : errors.length ? 'Not every node could be read, or not every node is streaming (see above).' : 'Not every node is streaming (see above).';
  out(`\n${streamLine}${workersOk ? '' : ' An apply worker keeps failing (below).'}${covered ? '' : ' Not every published table reaches the nodes (below).'}\n`);
  for (const c of coverage.filter((x) => x.error)) out(`\n${c.node}: cannot compare its subscription with publication ${c.publication}: ${c.error}\n`);
  if (!workersOk) out(`\n${formatWorkerHealth(workers)}`);
  if (!covered) out(`\n${formatCoverage(coverage)}`);
  out(formatSpockStatus(spock));
  if (otherRun) out(`\nThe plan's publications belong to ${otherRun}: this state directory's journal does not describe this migration.\n`);
  if (live.frozen) out(`\n${describeFrozenSource({ database: live.database!, closed: live.closed, switchedAt: facts.switched_at, frozenAt: frozen?.frozen_at, otherRun }, file)}\n`);
  if (journalProblem) out(`\nwarning: ${journalProblem}: what is shown above is read from the databases only.\n`);
  for (const note of fallback.notes) out(`\n${note}\n`);
  out(ddlStatusSection(ddl, facts, file));
  return healthy ? 0 : 1;
}
