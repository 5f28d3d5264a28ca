#!/usr/bin/env node
// Initial sync benchmark: `migrate apply` onto two nodes, with copy.method
// stream and dump, against what users would otherwise run, in the same run on
// the same clusters:
//   - by hand: pg_dump -Fd -j N, then pg_restore -j N onto each node, one after the other;
//   - pgcopydb clone onto each node, one after the other (when pgcopydb is installed);
// and, as a floor rather than a method, a finished dump restored onto both
// nodes at once (what writing every row twice costs here at the least).
// The machine is shared, so each configuration runs BENCH_RUNS times,
// interleaved (the order rotates every round), and the medians are printed
// with the range, the ratios of the medians to the hand recipe's, the peak
// memory of the migrate process, the bytes it left on this machine's disk and,
// from its report, where its time went per phase. No assertions.
//
//   npm run bench                          # 2M rows (pgbench scale 20) plus the sample schema, 3 rounds
//   BENCH_SCALE=60 BENCH_RUNS=5 npm run bench
//   BENCH_VARIANTS='text:{ method: stream, jobs: 2, binary: false }' npm run bench   # more stream plans, name:copy-section;...
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalClusters, findPgBin } from '../dist/sandbox/local-cluster.js';
import { writeTwoNodePlan } from './two-node-plan.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scale = Number(process.env.BENCH_SCALE ?? 20);
const jobs = Number(process.env.BENCH_JOBS ?? 2);
const rounds = Number(process.env.BENCH_RUNS ?? 3);
const bin = findPgBin();
const work = mkdtempSync(join(tmpdir(), 'pgm-bench-'));
const seconds = (t0) => (Date.now() - t0) / 1000;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Which tasks make up each phase of `migrate apply`; a phase lasts from its first task's start to its last one's end.
const PHASES = [
  ['publications, slots', /^(publication|slot):/],
  ['anchor', /^anchor$/],
  ['dump (schema only for stream)', /^dump$/],
  ['pre-data (stream)', /^pre-data:/],
  ['data (stream copy)', /^copy$/],
  ['restore (dump) / post-data (stream)', /^restore:/],
  ['database settings', /^settings:/],
  ['subscriptions, replication sets, enable', /^(subscription|repset|enable):/],
  ['catch-up', /^catch-up$/],
];

function phasesOf(report) {
  const out = {};
  for (const [name, re] of PHASES) {
    const ts = report.tasks.filter((t) => re.test(t.id) && t.started_at && t.finished_at);
    if (!ts.length) continue;
    const start = Math.min(...ts.map((t) => Date.parse(t.started_at)));
    const end = Math.max(...ts.map((t) => Date.parse(t.finished_at)));
    out[name] = (end - start) / 1000;
  }
  const first = Math.min(...report.tasks.filter((t) => t.started_at).map((t) => Date.parse(t.started_at)));
  const last = Math.max(...report.tasks.filter((t) => t.finished_at).map((t) => Date.parse(t.finished_at)));
  out['all tasks (first start to last end)'] = (last - first) / 1000;
  const started = Date.parse(report.started_at);
  out['before the first task (the preflight)'] = (first - started) / 1000;
  out['after the last task (lag, report)'] = (started + report.duration_ms - last) / 1000;
  return out;
}

// Every round enables two subscriptions on each node server, and a server's
// launcher starts at most one apply worker per wal_retrieve_retry_interval
// (5 s by default): a later round's worker could wait out the rest of it. A
// real migration enables one subscription per node and never waits for that.
const [source, n1, n2] = await startLocalClusters(['source', 'n1', 'n2'], { binDir: bin, settings: { wal_retrieve_retry_interval: '200ms' } });
try {
  await source.createDatabase('bench');
  const env = { ...process.env, PGPASSWORD: source.password };
  execFileSync(join(bin, 'pgbench'), ['-i', '-q', '-s', String(scale), '-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', 'bench'], { env, stdio: 'ignore' });
  await source.exec(execFileSync('cat', [join(root, 'templates/sandbox/schema.sql')], { encoding: 'utf8' }), 'bench');
  // pgbench's history has no key; insert-only, it replicates with REPLICA IDENTITY FULL (the fix migrate check gives).
  await source.exec('ALTER TABLE pgbench_history REPLICA IDENTITY FULL', 'bench');
  const [{ rows, size }] = await source.query(`SELECT (SELECT sum(n_live_tup) FROM pg_stat_user_tables)::bigint AS rows, pg_size_pretty(pg_database_size('bench')) AS size`, [], 'bench');
  console.log(`source: ${rows} rows, ${size}; 2 nodes; jobs ${jobs}; ${rounds} rounds; PostgreSQL binaries ${bin}`);

  /** A fresh database on both nodes for one run, dropped after it (with its subscriptions, whose slots would hold WAL). */
  const onNodes = async (db, body) => {
    for (const n of [n1, n2]) await n.createDatabase(db);
    try {
      return await body();
    } finally {
      for (const n of [n1, n2]) {
        const subs = await n.query('SELECT subname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = $1', [db], db);
        for (const { subname } of subs) await n.exec(`DROP SUBSCRIPTION "${subname}"`, db);
        await n.exec(`DROP DATABASE "${db}"`);
      }
    }
  };

  const migrateRun = (method, copySection) => async (round) => {
    const tag = `${method}_${round}`;
    return onNodes(`via_${tag}`, async () => {
      const dir = join(work, tag);
      mkdirSync(dir);
      const plan = join(dir, 'bench.yaml');
      writeTwoNodePlan(plan, { name: `bench-${tag}`, tag, source, sourceDb: 'bench', nodes: [n1, n2], nodeDb: `via_${tag}`, bin, extra: [`copy: ${copySection}`, `dump: { jobs: ${jobs} }`, `restore: { jobs: ${jobs} }`] });
      const t0 = Date.now();
      const apply = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'dist/cli/main.js'), 'apply', plan], {
        cwd: dir, env: { ...process.env, CI: '1', SRC_PW: source.password, N1_PW: n1.password, N2_PW: n2.password }, encoding: 'utf8',
      });
      const time = seconds(t0);
      if (apply.status !== 0) throw new Error(`apply (${tag}) failed:\n${apply.stdout}\n${apply.stderr}`);
      const peakMb = Number(apply.stderr.trim().split('\n').pop()) / 1024;
      const state = join(dir, '.migrate', `bench-${tag}`);
      const diskMb = Number(execFileSync('du', ['-sb', state], { encoding: 'utf8' }).split('\t')[0]) / 1024 / 1024;
      const runs = join(state, 'runs');
      const report = JSON.parse(readFileSync(join(runs, readdirSync(runs).sort().pop(), 'report.json'), 'utf8'));
      await source.exec(`DROP PUBLICATION IF EXISTS ${tag}_p1, ${tag}_p2`, 'bench');
      rmSync(dir, { recursive: true, force: true });
      return { time, peakMb, diskMb, phases: { ...phasesOf(report), 'outside the run (node start, plan load, exit)': time - report.duration_ms / 1000 } };
    });
  };

  const byHand = async (round) => onNodes(`by_hand_${round}`, async () => {
    const dumpDir = join(work, `hand-dump-${round}`);
    const t0 = Date.now();
    execFileSync(join(bin, 'pg_dump'), [`--dbname=host=127.0.0.1 port=${source.port} dbname=bench user=postgres`, '-Fd', `-j${jobs}`, '-f', dumpDir, '--no-publications', '--no-subscriptions'], { env });
    const dumpTime = seconds(t0);
    for (const n of [n1, n2]) {
      execFileSync(join(bin, 'pg_restore'), [`--dbname=host=127.0.0.1 port=${n.port} dbname=by_hand_${round} user=postgres`, `-j${jobs}`, dumpDir], { env: { ...process.env, PGPASSWORD: n.password } });
    }
    const time = seconds(t0);
    rmSync(dumpDir, { recursive: true, force: true });
    return { time, phases: { 'pg_dump': dumpTime, 'pg_restore n1 then n2': time - dumpTime } };
  });

  // Not a method: what writing every row into both nodes costs on this machine
  // at the least. A finished, uncompressed dump (not timed) is restored onto
  // both nodes at once, indexes included, so nothing reads the source or
  // decompresses meanwhile; any method pays at least this.
  const floor = async (round) => onNodes(`floor_${round}`, async () => {
    const dumpDir = join(work, `floor-dump-${round}`);
    execFileSync(join(bin, 'pg_dump'), [`--dbname=host=127.0.0.1 port=${source.port} dbname=bench user=postgres`, '-Fd', '-Z0', `-j${jobs}`, '-f', dumpDir, '--no-publications', '--no-subscriptions'], { env });
    const restore = (n) => new Promise((resolve, reject) => {
      const p = spawn(join(bin, 'pg_restore'), [`--dbname=host=127.0.0.1 port=${n.port} dbname=floor_${round} user=postgres`, `-j${jobs}`, dumpDir], { env: { ...process.env, PGPASSWORD: n.password }, stdio: 'ignore' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_restore exited ${code}`))));
    });
    const t0 = Date.now();
    await Promise.all([n1, n2].map(restore));
    const time = seconds(t0);
    rmSync(dumpDir, { recursive: true, force: true });
    return { time };
  });

  const pgcopydb = spawnSync('sh', ['-c', 'command -v pgcopydb'], { encoding: 'utf8' }).stdout.trim();
  const viaPgcopydb = async (round) => onNodes(`via_pgcopydb_${round}`, async () => {
    const t0 = Date.now();
    for (const n of [n1, n2]) {
      const dir = join(work, `pgcopydb-${n.name}-${round}`);
      const r = spawnSync(pgcopydb, ['clone', '--source', source.dsn('bench'), '--target', n.dsn(`via_pgcopydb_${round}`), '--table-jobs', String(jobs), '--index-jobs', String(jobs), '--dir', dir, '--no-owner'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      if (r.status !== 0) throw new Error(`pgcopydb failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
      rmSync(dir, { recursive: true, force: true });
    }
    return { time: seconds(t0) };
  });

  const configs = [
    { name: 'migrate apply, copy.method stream', run: migrateRun('stream', `{ method: stream, jobs: ${jobs} }`) },
    { name: 'migrate apply, copy.method dump', run: migrateRun('dump', '{ method: dump }') },
    { name: 'by hand: pg_dump, then pg_restore to n1, then to n2', run: byHand, hand: true },
    ...(pgcopydb ? [{ name: 'pgcopydb clone to n1, then to n2', run: viaPgcopydb }] : []),
    { name: 'floor (not a method): a finished dump restored onto both nodes at once, the dump not timed', run: floor },
    ...(process.env.BENCH_VARIANTS ?? '').split(';').filter(Boolean).map((v) => {
      const [name, section] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
      return { name: `migrate apply, ${name}: copy ${section}`, run: migrateRun(name.replace(/\W/g, '_'), section) };
    }),
  ];
  if (!pgcopydb) console.log('pgcopydb: not installed (apt-get install pgcopydb)');
  const results = new Map(configs.map((c) => [c, []]));
  for (let round = 1; round <= rounds; round++) {
    // Rotated every round, so no configuration always runs first (cold caches) or after the same neighbour.
    const order = configs.map((_, i) => configs[(i + round - 1) % configs.length]);
    for (const c of order) {
      const r = await c.run(round);
      results.get(c).push(r);
      console.log(`round ${round}: ${c.name}: ${r.time.toFixed(2)} s${r.peakMb ? `, ${r.peakMb.toFixed(0)} MB peak, ${r.diskMb.toFixed(1)} MB on disk` : ''}`);
    }
  }

  const hand = median(results.get(configs.find((c) => c.hand)).map((r) => r.time));
  console.log(`\nMedians of ${rounds} interleaved rounds, pgbench scale ${scale}:\n`);
  console.log('| method | median wall time (s) | range (s) | median vs by hand | peak RSS (MB) | written to this disk (MB) |\n|---|---|---|---|---|---|');
  for (const c of configs) {
    const rs = results.get(c);
    const ts = rs.map((r) => r.time);
    const m = median(ts);
    const mem = rs[0].peakMb !== undefined ? median(rs.map((r) => r.peakMb)).toFixed(0) : '';
    const disk = rs[0].diskMb !== undefined ? median(rs.map((r) => r.diskMb)).toFixed(1) : '';
    console.log(`| ${c.name} | ${m.toFixed(2)} | ${Math.min(...ts).toFixed(2)}–${Math.max(...ts).toFixed(2)} | ${(m / hand).toFixed(2)} | ${mem} | ${disk} |`);
  }
  console.log('\nWhere the time went (median seconds per phase; phases of one node run alongside the other node\'s):\n');
  for (const c of configs) {
    const rs = results.get(c).filter((r) => r.phases);
    if (!rs.length) continue;
    console.log(`${c.name}:`);
    for (const p of Object.keys(rs[0].phases)) console.log(`  ${p}: ${median(rs.map((r) => r.phases[p] ?? 0)).toFixed(2)}`);
  }
} finally {
  await Promise.all([source, n1, n2].map((c) => c.stop()));
  if (existsSync(work)) rmSync(work, { recursive: true, force: true });
}
