#!/usr/bin/env node
// Write downtime of `migrate rollback`, over several runs with two plain nodes
// (cutover.fallback on n1) and a write load on n1 running into the nodes'
// freeze: the time from the nodes' freeze to the source made writable
// (report.json rollback.write_downtime_ms), and how it divides between the
// steps. Prints its figures; no assertions.
//
//   node bench/rollback-downtime.mjs            # 5 runs
//   BENCH_RUNS=10 BENCH_RATE=500 node bench/rollback-downtime.mjs
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
const work = mkdtempSync(join(tmpdir(), 'pgm-rb-downtime-'));
const schema = readFileSync(join(root, 'templates/sandbox/schema.sql'), 'utf8');
const loadScript = join(work, 'load.pgbench');
writeFileSync(loadScript, readFileSync(join(root, 'templates/sandbox/write-load.pgbench')));

const cli = (args, env) => spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), ...args], { env: { ...process.env, CI: '1', ...env }, encoding: 'utf8', cwd: work });
const [source, n1, n2] = await startLocalClusters(['source', 'n1', 'n2'], { binDir: bin });
const rows = [];
try {
  for (let i = 1; i <= runs; i++) {
    const db = `rbdowntime${i}`;
    for (const c of [source, n1, n2]) await c.createDatabase(db);
    await source.exec(schema, db);
    const plan = join(work, `${db}.yaml`);
    writeTwoNodePlan(plan, { name: db, tag: db, source, sourceDb: db, nodes: [n1, n2], bin, extra: ['cutover: { vacuum: false, fallback: { enabled: true, node: n1 } }'] });
    const env = { SRC_PW: source.password, N1_PW: n1.password, N2_PW: n2.password };
    for (const step of ['apply', 'cutover']) {
      const r = cli([step, plan], env);
      if (r.status !== 0) throw new Error(`${step} failed: ${r.stderr}`);
    }
    const load = spawn(join(bin, 'pgbench'), ['-n', '-f', loadScript, '-c', '4', '-j', '2', '-R', String(rate), '-T', '120', '-h', '127.0.0.1', '-p', String(n1.port), '-U', 'postgres', db], { env: { ...process.env, PGPASSWORD: n1.password }, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 2000));
    const rollback = cli(['rollback', plan], env);
    load.kill('SIGALRM'); // pgbench's own end-of-run signal; SIGINT only cancels a query
    if (rollback.status !== 0) throw new Error(`rollback failed: ${rollback.stderr}`);
    const runsDir = join(work, '.migrate', db, 'runs');
    const report = JSON.parse(readFileSync(join(runsDir, readdirSync(runsDir).filter((d) => d.endsWith('rollback')).pop(), 'report.json'), 'utf8'));
    const s = report.rollback.steps;
    rows.push({ run: i, downtime: report.rollback.write_downtime_ms, freeze: s['freeze-nodes'], drain: s['rollback-drain'], sequences: s['rollback-sequences'], check: s['rollback-check'], switch: s['rollback-switch'], unfreeze: s['unfreeze-source'] });
  }
  const d = rows.map((r) => r.downtime).sort((a, b) => a - b);
  console.log(`rollback write downtime, 2 plain nodes (fallback n1), load ${rate} tps on n1 into the freeze, ${runs} runs (ms)\n`);
  console.log('| run | downtime | freeze | drain | sequences | check | switch | unfreeze |\n|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.run} | ${r.downtime} | ${r.freeze} | ${r.drain} | ${r.sequences} | ${r.check} | ${r.switch} | ${r.unfreeze} |`);
  console.log(`\nmin ${d[0]} ms, median ${d[Math.floor(d.length / 2)]} ms, max ${d[d.length - 1]} ms`);
} finally {
  await Promise.all([source, n1, n2].map((c) => c.stop()));
  rmSync(work, { recursive: true, force: true });
}
