#!/usr/bin/env node
// Initial sync benchmark: `migrate apply` onto two nodes, with copy.method
// stream and dump, against what users would otherwise run, in the same run on
// the same clusters:
//   - by hand: pg_dump -Fd -j N, then pg_restore -j N onto each node, one after the other;
//   - pgcopydb clone onto each node, one after the other (when pgcopydb is installed).
// Prints wall times, ratios to the hand recipe, the peak memory of the migrate
// process and the bytes it left on this machine's disk. No assertions.
//
//   npm run bench                      # 2M rows (pgbench scale 20) plus the sample schema
//   BENCH_SCALE=60 npm run bench       # 6M rows
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalClusters, findPgBin } from '../dist/sandbox/local-cluster.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scale = Number(process.env.BENCH_SCALE ?? 20);
const jobs = Number(process.env.BENCH_JOBS ?? 2);
const bin = findPgBin();
const work = mkdtempSync(join(tmpdir(), 'pgm-bench-'));
const seconds = (t0) => ((Date.now() - t0) / 1000).toFixed(2);

const [source, n1, n2] = await startLocalClusters(['source', 'n1', 'n2'], { binDir: bin });
try {
  await source.createDatabase('bench');
  const env = { ...process.env, PGPASSWORD: source.password };
  execFileSync(join(bin, 'pgbench'), ['-i', '-q', '-s', String(scale), '-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', 'bench'], { env, stdio: 'ignore' });
  await source.exec(execFileSync('cat', [join(root, 'templates/sandbox/schema.sql')], { encoding: 'utf8' }), 'bench');
  // pgbench's history has no key; insert-only, it replicates with REPLICA IDENTITY FULL (the fix migrate check gives).
  await source.exec('ALTER TABLE pgbench_history REPLICA IDENTITY FULL', 'bench');
  const [{ rows, size }] = await source.query(`SELECT (SELECT sum(n_live_tup) FROM pg_stat_user_tables)::bigint AS rows, pg_size_pretty(pg_database_size('bench')) AS size`, [], 'bench');
  console.log(`source: ${rows} rows, ${size}; 2 nodes; jobs ${jobs}; PostgreSQL binaries ${bin}`);
  const results = [];

  // 1. migrate apply, once per copy method, each into its own database and state directory
  const migrateRun = async (method) => {
    const dbName = `via_${method}`;
    for (const n of [n1, n2]) await n.createDatabase(dbName);
    const dir = join(work, method);
    mkdirSync(dir);
    const plan = join(dir, 'bench.yaml');
    writeFileSync(plan, [
      'version: 1', `name: bench-${method}`,
      `source: { dsn: "postgresql://postgres:\${SRC_PW}@127.0.0.1:${source.port}/bench" }`,
      'nodes:',
      `  - { name: n1, dsn: "host=127.0.0.1 port=${n1.port} dbname=${dbName} user=postgres password=\${N1_PW}" }`,
      `  - { name: n2, dsn: "host=127.0.0.1 port=${n2.port} dbname=${dbName} user=postgres password=\${N2_PW}" }`,
      'replication:',
      `  - { node: n1, publication: ${method}_pub1, slot: ${method}_slot1, subscription: ${method}_sub1 }`,
      `  - { node: n2, publication: ${method}_pub2, slot: ${method}_slot2, subscription: ${method}_sub2 }`,
      `copy: { method: ${method}, jobs: ${jobs} }`, `dump: { jobs: ${jobs} }`, `restore: { jobs: ${jobs} }`, `tools: { bin_dir: ${bin} }`, '',
    ].join('\n'));
    const t0 = Date.now();
    const apply = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'dist/cli/main.js'), 'apply', plan], {
      cwd: dir, env: { ...process.env, CI: '1', SRC_PW: source.password, N1_PW: n1.password, N2_PW: n2.password }, encoding: 'utf8',
    });
    const time = seconds(t0);
    if (apply.status !== 0) throw new Error(`apply (${method}) failed:\n${apply.stdout}\n${apply.stderr}`);
    const peakKb = Number(apply.stderr.trim().split('\n').pop());
    const onDisk = Number(execFileSync('du', ['-sb', join(dir, '.migrate')], { encoding: 'utf8' }).split('\t')[0]);
    // The slots of this run would hold WAL during the next: gone with their subscriptions.
    for (const n of [n1, n2]) for (const i of [1, 2]) await n.exec(`DROP SUBSCRIPTION IF EXISTS ${method}_sub${i}`, dbName);
    return [`migrate apply, copy.method ${method} (slots, anchor, copy, stream started, caught up)`, time, `${(peakKb / 1024).toFixed(0)} MB peak RSS; ${(onDisk / 1024 / 1024).toFixed(1)} MB written to this disk`];
  };
  results.push(await migrateRun('stream'));
  results.push(await migrateRun('dump'));

  // 2. by hand: one dump, then one restore after the other
  for (const n of [n1, n2]) await n.createDatabase('by_hand');
  const dumpDir = join(work, 'hand-dump');
  let t0 = Date.now();
  execFileSync(join(bin, 'pg_dump'), [`--dbname=host=127.0.0.1 port=${source.port} dbname=bench user=postgres`, '-Fd', `-j${jobs}`, '-f', dumpDir, '--no-publications', '--no-subscriptions'], { env });
  const dumpTime = seconds(t0);
  for (const n of [n1, n2]) {
    execFileSync(join(bin, 'pg_restore'), [`--dbname=host=127.0.0.1 port=${n.port} dbname=by_hand user=postgres`, `-j${jobs}`, dumpDir], { env: { ...process.env, PGPASSWORD: n.password } });
  }
  results.push(['by hand: pg_dump, then pg_restore to n1, then to n2 (no stream)', seconds(t0), `dump alone ${dumpTime} s`]);

  // 3. pgcopydb, once per node
  const pgcopydb = spawnSync('sh', ['-c', 'command -v pgcopydb'], { encoding: 'utf8' }).stdout.trim();
  if (pgcopydb) {
    for (const n of [n1, n2]) await n.createDatabase('via_pgcopydb');
    t0 = Date.now();
    for (const n of [n1, n2]) {
      const dir = join(work, `pgcopydb-${n.name}`);
      const r = spawnSync(pgcopydb, ['clone', '--source', source.dsn('bench'), '--target', n.dsn('via_pgcopydb'), '--table-jobs', String(jobs), '--index-jobs', String(jobs), '--dir', dir, '--no-owner'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      if (r.status !== 0) throw new Error(`pgcopydb failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
    }
    results.push(['pgcopydb clone to n1, then to n2 (no stream)', seconds(t0), '']);
  } else {
    results.push(['pgcopydb', '-', 'not installed (apt-get install pgcopydb)']);
  }

  const hand = Number(results[2][1]);
  console.log('\n| method | wall time (s) | vs by hand | note |\n|---|---|---|---|');
  for (const [m, t, note] of results) console.log(`| ${m} | ${t} | ${t === '-' ? '-' : (Number(t) / hand).toFixed(2)} | ${note} |`);
} finally {
  await Promise.all([source, n1, n2].map((c) => c.stop()));
  if (existsSync(work)) rmSync(work, { recursive: true, force: true });
}
