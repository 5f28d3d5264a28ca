#!/usr/bin/env node
// Write downtime of `migrate cutover`, over several runs with two nodes and a
// write load on the source running into the freeze: the time from the freeze
// to the switch (report.json cutover.write_downtime_ms), and how it divides
// between the steps. Prints its figures; no assertions.
//
//   node bench/cutover-downtime.mjs            # 5 runs
//   BENCH_RUNS=10 BENCH_RATE=500 node bench/cutover-downtime.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalClusters, findPgBin } from '../dist/sandbox/local-cluster.js';
import { writeTwoNodePlan } from './two-node-plan.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const rate = Number(process.env.BENCH_RATE ?? 200);
const bin = findPgBin();
const work = mkdtempSync(join(tmpdir(), 'pgm-downtime-'));
const schema = readFileSync(join(root, 'templates/sandbox/schema.sql'), 'utf8');
const loadScript = join(work, 'load.pgbench');
writeFileSync(loadScript, readFileSync(join(root, 'templates/sandbox/write-load.pgbench')));

const cli = (args, env) => spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], { env: { ...process.env, CI: '1', ...env }, encoding: 'utf8', cwd: work });
const [source, n1, n2] = await startLocalClusters(['source', 'n1', 'n2'], { binDir: bin });
const rows = [];
try {
  for (let i = 1; i <= runs; i++) {
    const db = `downtime${i}`;
    for (const c of [source, n1, n2]) await c.createDatabase(db);
    await source.exec(schema, db);
    const plan = join(work, `${db}.yaml`);
    writeTwoNodePlan(plan, { name: db, tag: db, source, sourceDb: db, nodes: [n1, n2], bin });
    const env = { SRC_PW: source.password, N1_PW: n1.password, N2_PW: n2.password };
    const load = spawn(join(bin, 'pgbench'), ['-n', '-f', loadScript, '-c', '4', '-j', '2', '-R', String(rate), '-T', '120', '-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', db], { env: { ...process.env, PGPASSWORD: source.password }, stdio: 'ignore' });
    const apply = cli(['apply', plan], env);
    if (apply.status !== 0) throw new Error(`apply failed: ${apply.stderr}`);
    await new Promise((r) => setTimeout(r, 2000));
    const cutover = cli(['cutover', plan], env);
    load.kill('SIGALRM'); // pgbench's own end-of-run signal; SIGINT only cancels a query
    if (cutover.status !== 0) throw new Error(`cutover failed: ${cutover.stderr}`);
    const runsDir = join(work, '.migrate', db, 'runs');
    const report = JSON.parse(readFileSync(join(runsDir, readdirSync(runsDir).filter((d) => d.endsWith('cutover')).pop(), 'report.json'), 'utf8'));
    const s = report.cutover.steps;
    rows.push({ run: i, downtime: report.cutover.write_downtime_ms, freeze: s.freeze, drain: s.drain, sequences: Math.max(s['sequences:n1'], s['sequences:n2']), check: Math.max(s['check:n1'], s['check:n2']), switch: s.switch });
  }
  const d = rows.map((r) => r.downtime).sort((a, b) => a - b);
  console.log(`cutover write downtime, 2 nodes, load ${rate} tps into the freeze, ${runs} runs (ms)\n`);
  console.log('| run | downtime | freeze | drain | sequences | check | switch |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.run} | ${r.downtime} | ${r.freeze} | ${r.drain} | ${r.sequences} | ${r.check} | ${r.switch} |`);
  console.log(`\nmin ${d[0]} ms, median ${d[Math.floor(d.length / 2)]} ms, max ${d[d.length - 1]} ms`);
} finally {
  await Promise.all([source, n1, n2].map((c) => c.stop()));
  rmSync(work, { recursive: true, force: true });
}
