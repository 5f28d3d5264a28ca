// Metrics of a real migration: `migrate apply` streams a source to a node,
// `migrate metrics` serves /metrics while a write load runs, and a Prometheus
// text parser reads every scrape. Also status --prometheus, --watch, and the textfile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startClusters, startWriteLoad, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, CLI, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';

interface Family {
  name: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

let source: Cluster;
let n1: Cluster;
let work: string;
let plan: { file: string; env: Record<string, string> };
let server: ChildProcess | undefined;
const DB = 'shop';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const value = (families: Family[], name: string, labels: Record<string, string> = {}): number | undefined => {
  const m = families.find((f) => f.name === name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m === undefined ? undefined : Number(m.value);
};

async function scrape(port: number): Promise<Family[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(await res.text()) as Family[];
}

beforeAll(async () => {
  [source, n1] = await startClusters(['met-src', 'met-n1']);
  await Promise.all([source, n1].map((c) => c.createDatabase(DB)));
  await source.exec(SAMPLE_SCHEMA, DB);
  work = tempDir('metrics');
  plan = writePlan(work, { name: 'metrics-it', source, nodes: [n1], db: DB });
  const r = await runCli(['apply', plan.file], { cwd: work, env: plan.env });
  if (r.code !== 0) throw new Error(`apply failed: ${r.stdout}\n${r.stderr}`);
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await runCli(['abort', plan.file], { cwd: work, env: plan.env }).catch(() => undefined);
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

describe('migrate metrics', () => {
  it('serves /metrics during streaming; the lag rises under a write load and returns to 0 after it', async () => {
    const port = await freePort();
    server = spawn(process.execPath, [CLI, 'metrics', plan.file, '--listen', `127.0.0.1:${port}`], { cwd: work, env: { ...process.env, ...plan.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const until = Date.now() + 15_000;
    while (!output.includes('serving http://') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain(`serving http://127.0.0.1:${port}/metrics for plan metrics-it`);

    const first = await scrape(port);
    expect(value(first, 'pgedge_migrate_up', { target: 'source', plan: 'metrics-it' })).toBe(1);
    expect(value(first, 'pgedge_migrate_up', { target: 'n1' })).toBe(1);
    expect(value(first, 'pgedge_migrate_subscription_streaming', { node: 'n1', subscription: 'metrics_it_sub1' })).toBe(1);
    expect(value(first, 'pgedge_migrate_phase', { phase: 'streaming' })).toBe(1);
    expect(value(first, 'pgedge_migrate_phase', { phase: 'applying' })).toBe(0);
    expect(value(first, 'pgedge_migrate_apply_errors_total', { node: 'n1' })).toBe(0);
    expect(first.find((f) => f.name === 'pgedge_migrate_apply_errors_total')?.type).toBe('COUNTER');
    expect(value(first, 'pgedge_migrate_slot_retained_bytes', { node: 'n1', slot: 'metrics_it_slot1' })).toBeGreaterThan(0);
    expect(value(first, 'pgedge_migrate_writes_frozen')).toBe(0);

    const load = startWriteLoad(source, { db: DB, script: SAMPLE_LOAD, clients: 4, seconds: 20 });
    const lags: number[] = [];
    const confirmed: number[] = [];
    const loadUntil = Date.now() + 4000;
    while (Date.now() < loadUntil) {
      const f = await scrape(port);
      lags.push(value(f, 'pgedge_migrate_replication_lag_bytes', { node: 'n1' }) ?? NaN);
      confirmed.push(value(f, 'pgedge_migrate_slot_confirmed_lsn_bytes', { node: 'n1' }) ?? NaN);
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await load.stop();
    expect(result.transactions).toBeGreaterThan(100);
    expect(Math.max(...lags), `lags seen: ${lags.join(' ')}`).toBeGreaterThan(0);
    expect(confirmed[confirmed.length - 1]).toBeGreaterThan(confirmed[0]);

    let lag = NaN;
    const settle = Date.now() + 30_000;
    while (Date.now() < settle) {
      lag = value(await scrape(port), 'pgedge_migrate_replication_lag_bytes', { node: 'n1' }) ?? NaN;
      if (lag === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(lag).toBe(0);
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGINT');
    await exited;
    expect(server.exitCode).toBe(0);
    server = undefined;
  });

  it('status --prometheus prints the same metrics, and metrics --textfile --once writes them for node_exporter', async () => {
    const r = await runCli(['status', plan.file, '--prometheus'], { cwd: work, env: plan.env });
    expect(r.code, r.stderr).toBe(0);
    const families = parsePrometheusTextFormat(r.stdout) as Family[];
    expect(value(families, 'pgedge_migrate_replication_lag_bytes', { node: 'n1', plan: 'metrics-it' })).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toContain('# TYPE pgedge_migrate_slot_retained_bytes gauge');
    for (const c of [source, n1]) expect(r.stdout).not.toContain(c.password);

    const textfile = join(work, 'migrate.prom');
    const t = await runCli(['metrics', plan.file, '--textfile', textfile, '--once'], { cwd: work, env: plan.env });
    expect(t.code, t.stderr).toBe(0);
    const written = parsePrometheusTextFormat(readFileSync(textfile, 'utf8')) as Family[];
    expect(value(written, 'pgedge_migrate_subscription_streaming', { node: 'n1' })).toBe(1);
  });

  it('status --watch prints a line per node and interval when the output is not a terminal, until Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'status', plan.file, '--watch', '--interval', '0.5'], { cwd: work, env: { ...process.env, ...plan.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout!.on('data', (d) => (text += d));
    const until = Date.now() + 15_000;
    while ((text.match(/ n1 /g) ?? []).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    expect(child.exitCode).toBe(0);
    const lines = text.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z n1 streaming lag=\d+(\.\d)? (B|kB) lag_time=[\d.]+ s applied=(-|[\d.]+ (B|kB|MB)\/s) slot_wal_held=\S+ \S+ apply_errors=0 phase=streaming$/);
    expect(lines[1]).toMatch(/applied=[\d.]+ (B|kB|MB)\/s/);
  });

  it('status --watch redraws the table in a terminal, with the apply rate and the lag trend', async () => {
    // script(1) gives the command a pseudo-terminal; CI must be unset, as on an operator's terminal.
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...plan.env };
    delete env.CI;
    const command = `${process.execPath} ${CLI} status ${plan.file} --watch --interval 0.5`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: work, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout!.on('data', (d) => (screen += d));
    const until = Date.now() + 15_000;
    while ((screen.match(/\x1b\[H\x1b\[2J/g) ?? []).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    const frames = screen.split('\x1b[H\x1b[2J').filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    const last = frames[frames.length - 1].replace(/\r/g, '');
    expect(last).toMatch(/^Plan metrics-it · phase streaming · \S+ · every 0.5 s, Ctrl-C to stop$/m);
    expect(last).toMatch(/^node\s+state\s+lag\s+lag time\s+applied\s+slot WAL held\s+apply errors\s+lag, last 20 readings$/m);
    expect(last).toMatch(/^n1\s+streaming\s+\d+(\.\d)? (B|kB)\s+[\d.]+ s\s+[\d.]+ (B|kB|MB)\/s\s+\S+ \S+\s+0\s+[▁▂▃▄▅▆▇█]{2,}$/m);
  });

  it('after a cutover: phase cut_over, streaming 0, and the write downtime the cutover report gives', async () => {
    const c = await runCli(['cutover', plan.file], { cwd: work, env: plan.env });
    expect(c.code, c.stdout + c.stderr).toBe(0);
    const ms = Number(/Writes were frozen for (\d+) ms/.exec(c.stdout)?.[1]);
    const r = await runCli(['status', plan.file, '--prometheus'], { cwd: work, env: plan.env });
    const families = parsePrometheusTextFormat(r.stdout) as Family[];
    expect(value(families, 'pgedge_migrate_phase', { phase: 'cut_over' })).toBe(1);
    expect(value(families, 'pgedge_migrate_subscription_streaming', { node: 'n1' })).toBe(0);
    expect(value(families, 'pgedge_migrate_last_cutover_downtime_seconds')).toBeCloseTo(ms / 1000, 3);
    expect(r.code).toBe(1);
  });
});
