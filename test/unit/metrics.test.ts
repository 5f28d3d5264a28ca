// The pure parts of the metrics: the exposition text, the phase, the listen address, the trend.
import { describe, expect, it } from 'vitest';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { phaseOf, lsnBytes, type ReplicationSample } from '../../src/metrics/sample.js';
import { parseListen } from '../../src/metrics/server.js';
import { sparkline } from '../../src/metrics/watch.js';

const sample: ReplicationSample = {
  at: new Date(0),
  plan: 'shop',
  source_up: true,
  source_error: null,
  phase: 'streaming',
  writes_frozen: false,
  last_cutover_downtime_ms: 107,
  nodes: [
    { node: 'n1', subscription: 'sub1', slot: 'slot1', reachable: true, error: null, streaming: true, lag_bytes: 4096, lag_seconds: 0.5, retained_bytes: 1048576, confirmed_bytes: 123456, apply_errors: 2, sync_errors: 0 },
    { node: 'n2', subscription: 'sub2', slot: 'slot2', reachable: false, error: 'cannot connect', streaming: false, lag_bytes: null, lag_seconds: null, retained_bytes: null, confirmed_bytes: null, apply_errors: null, sync_errors: null },
  ],
};

describe('Prometheus text', () => {
  it('names and labels the series by Prometheus conventions; what is unknown is absent', async () => {
    const text = await renderPrometheus(sample);
    for (const line of [
      '# TYPE pgedge_migrate_replication_lag_bytes gauge',
      'pgedge_migrate_replication_lag_bytes{node="n1",plan="shop"} 4096',
      'pgedge_migrate_slot_retained_bytes{node="n1",slot="slot1",plan="shop"} 1048576',
      '# TYPE pgedge_migrate_apply_errors_total counter',
      'pgedge_migrate_apply_errors_total{node="n1",plan="shop"} 2',
      'pgedge_migrate_up{target="source",plan="shop"} 1',
      'pgedge_migrate_up{target="n2",plan="shop"} 0',
      'pgedge_migrate_subscription_streaming{node="n2",subscription="sub2",plan="shop"} 0',
      'pgedge_migrate_phase{phase="streaming",plan="shop"} 1',
      'pgedge_migrate_phase{phase="cut_over",plan="shop"} 0',
      'pgedge_migrate_last_cutover_downtime_seconds{plan="shop"} 0.107',
      'pgedge_migrate_writes_frozen{plan="shop"} 0',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).not.toMatch(/replication_lag_bytes\{node="n2"/);
  });

  it('has no cutover downtime before a cutover', async () => {
    expect(await renderPrometheus({ ...sample, last_cutover_downtime_ms: null })).not.toContain('last_cutover_downtime');
  });
});

describe('phase from the journal', () => {
  const j = (over: object) => ({ version: 1 as const, plan: 'p', created_at: '', updated_at: '', tasks: {}, facts: {}, completed: {}, ...over });
  it.each([
    [undefined, 'not_started'],
    [j({ tasks: { dump: { status: 'done' } } }), 'applying'],
    [j({ completed: { apply: 't' } }), 'streaming'],
    [j({ completed: { apply: 't' }, facts: { freeze: { database: 'd' } } }), 'writes_frozen'],
    [j({ completed: { apply: 't' }, facts: { freeze: { database: 'd' }, switched_at: 't' } }), 'switched'],
    [j({ completed: { apply: 't', cutover: 't' } }), 'cut_over'],
  ])('%j is %s', (journal, phase) => {
    expect(phaseOf(journal as never)).toBe(phase);
  });
});

describe('small parts', () => {
  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListen('[::1]:9187')).toEqual({ host: '::1', port: 9187 });
    expect(parseListen(':9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListen('9187')).toBeUndefined();
    expect(parseListen('localhost:99999')).toBeUndefined();
  });
  it('reads an LSN as a byte position', () => {
    expect(lsnBytes('0/3337E88')).toBe(0x3337e88);
    expect(lsnBytes('1/0')).toBe(2 ** 32);
  });
  it('draws a trend', () => {
    expect(sparkline([0, 0, 0])).toBe('▁▁▁');
    expect(sparkline([0, 50, 100])).toBe('▁▄█');
  });
});
