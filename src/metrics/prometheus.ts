// A sample in Prometheus' text exposition format, through prom-client. A
// registry per rendering: every scrape reads the databases afresh, and a
// value that cannot be read is absent rather than a stale or invented number.
import { Counter, Gauge, Registry } from 'prom-client';
import { PHASES, type ReplicationSample } from './sample.js';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export async function renderPrometheus(s: ReplicationSample): Promise<string> {
  const registry = new Registry();
  registry.setDefaultLabels({ plan: s.plan });
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name: `pgedge_migrate_${name}`, help, labelNames, registers });
  const counter = (name: string, help: string) => new Counter({ name: `pgedge_migrate_${name}`, help, labelNames: ['node'], registers });

  const up = gauge('up', 'Whether migrate could read the target (1) or not (0).', ['target']);
  const streaming = gauge('subscription_streaming', 'Whether the node\'s subscription is enabled with a running apply worker and its slot exists.', ['node', 'subscription']);
  const lag = gauge('replication_lag_bytes', 'WAL on the source that the node has not confirmed (from the slot\'s confirmed_flush_lsn).', ['node']);
  const lagSeconds = gauge('replication_lag_seconds', 'Time since the node last confirmed a position, while it has WAL to confirm.', ['node']);
  const retained = gauge('slot_retained_bytes', 'WAL the node\'s slot keeps on the source\'s disk (from its restart_lsn).', ['node', 'slot']);
  const confirmed = gauge('slot_confirmed_lsn_bytes', 'The slot\'s confirmed_flush_lsn as a byte position; rate() of it is the apply rate in bytes per second.', ['node']);
  const applyErrors = counter('apply_errors_total', 'Errors of the node\'s apply worker (pg_stat_subscription_stats.apply_error_count).');
  const syncErrors = counter('sync_errors_total', 'Errors of the node\'s table synchronization workers (pg_stat_subscription_stats.sync_error_count).');
  const phase = gauge('phase', 'The migration\'s phase from its journal: the series with value 1 is the current one.', ['phase']);
  const frozen = gauge('writes_frozen', 'Whether a cutover has frozen writes on the source and not switched yet.');

  up.set({ target: 'source' }, s.source_up ? 1 : 0);
  for (const n of s.nodes) {
    up.set({ target: n.node }, n.reachable ? 1 : 0);
    streaming.set({ node: n.node, subscription: n.subscription }, n.streaming ? 1 : 0);
    if (n.lag_bytes !== null) lag.set({ node: n.node }, n.lag_bytes);
    if (n.lag_seconds !== null) lagSeconds.set({ node: n.node }, n.lag_seconds);
    if (n.retained_bytes !== null) retained.set({ node: n.node, slot: n.slot }, n.retained_bytes);
    if (n.confirmed_bytes !== null) confirmed.set({ node: n.node }, n.confirmed_bytes);
    if (n.apply_errors !== null) applyErrors.inc({ node: n.node }, n.apply_errors);
    if (n.sync_errors !== null) syncErrors.inc({ node: n.node }, n.sync_errors);
  }
  for (const p of PHASES) phase.set({ phase: p }, p === s.phase ? 1 : 0);
  frozen.set(s.writes_frozen ? 1 : 0);
  // An unlabelled gauge prints 0 until set: registered only when there was a cutover.
  if (s.last_cutover_downtime_ms !== null) {
    gauge('last_cutover_downtime_seconds', 'Write downtime of the last cutover, from the freeze to the switch.').set(s.last_cutover_downtime_ms / 1000);
  }
  return registry.metrics();
}
