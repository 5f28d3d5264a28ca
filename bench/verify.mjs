#!/usr/bin/env node
// `migrate verify` throughput: a source and one node, each with pgbench's
// tables at scale 10 (pgbench_accounts: 1,000,000 rows). pgbench -i writes the
// same rows on both, so they start equal; verify reads only the source's
// publication, so no subscription is needed. Prints rows per second for a few
// runs on equal tables, then for one with a row changed on the node (the
// narrowing and re-checks included). No assertions.
//
//   npm run build && node bench/verify.mjs [--scale 10] [--runs 3]
//
// Clusters are throwaway (fsync off), in a temp directory, on Unix sockets
// only; under root the server runs as the postgres user. They are stopped and
// removed at the end, on error and on Ctrl-C.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, chownSync, existsSync, readFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SCALE = arg('--scale', 10);
const RUNS = arg('--runs', 3);
const IS_ROOT = process.getuid?.() === 0;

if (!existsSync(CLI)) {
  console.error('dist/cli/main.js is missing: run `npm run build` first.');
  process.exit(2);
}

const base = mkdtempSync(path.join(os.tmpdir(), 'pgedge-bench-verify-'));
chmodSync(base, 0o755);
const owner = IS_ROOT ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : null;
if (owner) chownSync(base, owner.uid, owner.gid);

function pg(binary, args, opts = {}) {
  const file = path.join(BIN, binary);
  const [cmd, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const r = spawnSync(cmd, argv, { cwd: base, encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const clusters = [];
function startCluster(name, port) {
  const data = path.join(base, name);
  pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  appendFileSync(
    path.join(data, 'postgresql.conf'),
    `\nlisten_addresses = ''\nport = ${port}\nunix_socket_directories = '${base}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nwal_level = logical\n`,
  );
  pg('pg_ctl', ['-D', data, '-l', path.join(data, 'server.log'), '-w', 'start']);
  clusters.push(data);
  return { port, dsn: `host=${base} port=${port} user=postgres dbname=postgres` };
}

function cleanup() {
  for (const data of clusters.splice(0)) {
    try {
      pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already down
    }
  }
  rmSync(base, { recursive: true, force: true });
}
process.on('SIGINT', () => (cleanup(), process.exit(130)));
process.on('SIGTERM', () => (cleanup(), process.exit(143)));

function psql(c, sql) {
  return pg('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', base, '-p', String(c.port), '-U', 'postgres', '-d', 'postgres', '-At', '-c', sql]);
}

function verify(planFile) {
  const started = process.hrtime.bigint();
  const r = spawnSync('node', [CLI, 'verify', planFile, '--json'], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`verify failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { exit: r.status, wall, json: JSON.parse(r.stdout) };
}

try {
  const port = 56000 + Math.floor(Math.random() * 2000);
  const source = startCluster('source', port);
  const node = startCluster('n1', port + 1);
  for (const c of [source, node]) pg('pgbench', ['-i', '-q', '-s', String(SCALE), '-h', base, '-p', String(c.port), '-U', 'postgres', 'postgres'], { stdio: 'ignore' });
  psql(source, 'CREATE PUBLICATION bench_pub FOR ALL TABLES');
  const planFile = path.join(base, 'plan.yaml');
  writeFileSync(
    planFile,
    [
      'version: 1',
      'name: bench-verify',
      `source:\n  dsn: "${source.dsn}"`,
      `nodes:\n  - name: n1\n    dsn: "${node.dsn}"`,
      'replication:\n  - node: n1\n    publication: bench_pub\n    slot: bench_slot\n    subscription: bench_sub',
      '',
    ].join('\n'),
  );
  const rows = Number(psql(source, 'SELECT count(*) FROM pgbench_accounts').trim());
  console.log(`verify benchmark: pgbench scale ${SCALE} (${rows} rows in pgbench_accounts), PostgreSQL ${psql(source, 'SHOW server_version').trim()}, ${os.cpus().length} CPUs, source and node on this host`);

  const line = (label, r) => {
    const t = r.json.nodes[0].tables.find((x) => x.table === 'public.pgbench_accounts');
    const ranges = t.differences.map((d) => `${d.first?.[0]}..${d.last?.[0]}`).join(', ');
    console.log(
      `${label.padEnd(22)} ${String(r.json.rows_compared).padStart(9)} rows  verify ${(r.json.duration_ms / 1000).toFixed(2)} s  ${String(r.json.rows_per_second).padStart(9)} rows/s` +
        `  (command ${r.wall.toFixed(2)} s, exit ${r.exit}${ranges ? `, differs at aid ${ranges}` : ''})`,
    );
  };
  const equalRuns = [];
  for (let i = 1; i <= RUNS; i++) {
    const r = verify(planFile);
    equalRuns.push(r.json.rows_per_second);
    line(`equal, run ${i}`, r);
  }
  psql(node, `UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = ${Math.floor(rows * 0.73)}`);
  line('one row changed', verify(planFile));
  equalRuns.sort((a, b) => a - b);
  console.log(`median on equal tables: ${equalRuns[Math.floor(equalRuns.length / 2)]} rows/s`);
} finally {
  cleanup();
}
