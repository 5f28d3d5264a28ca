#!/usr/bin/env node
// `migrate compare` on a source and two nodes holding the same 200,000-row
// table, where n2 has lost the index on accounts.owner (the classic migration
// regression). Prints compare's table; the README shows its output. Exits
// with compare's exit code (1: n2 is slower).
//
//   npm run build && node bench/compare.mjs [--duration 5] [--out DIR]
//
// Clusters are throwaway (fsync off) on loopback; stopped and removed at the end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
if (!existsSync(CLI)) {
  console.error('dist/cli/main.js is missing: run `npm run build` first.');
  process.exit(2);
}
const { startLocalClusters } = await import(path.join(ROOT, 'dist/sandbox/local-cluster.js'));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const DURATION = arg('--duration', '5');
const work = mkdtempSync(path.join(os.tmpdir(), 'pgedge-bench-compare-'));
const OUT = path.resolve(arg('--out', path.join(work, 'report')));

const SETUP = `
CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL);
CREATE INDEX accounts_owner ON accounts (owner);
INSERT INTO accounts SELECT g, 'owner ' || (g % 5000), g % 1000 FROM generate_series(1, 200000) g;
ANALYZE;`;

const QUERIES = `queries:
  - name: account_by_id
    sql: SELECT id, owner, balance FROM accounts WHERE id = :id
    params:
      id: { random: [1, 200000] }
  - name: accounts_of_owner
    sql: SELECT id, balance FROM accounts WHERE owner = :owner ORDER BY id
    params:
      owner: { sample: { table: accounts, column: owner } }
  - name: top_balances
    sql: SELECT owner, sum(balance) AS total FROM accounts WHERE id BETWEEN :from AND :from + 999 GROUP BY owner ORDER BY total DESC LIMIT 10
    params:
      from: { random: [1, 199000] }
`;

const clusters = await startLocalClusters(['source', 'n1', 'n2']);
let code = 1;
try {
  await Promise.all(clusters.map(async (c) => {
    await c.createDatabase('shop');
    await c.exec(SETUP, 'shop');
  }));
  await clusters[2].exec('DROP INDEX accounts_owner', 'shop');
  writeFileSync(path.join(work, 'queries.yaml'), QUERIES);
  const env = { SOURCE_DSN: clusters[0].dsn('shop'), N1_DSN: clusters[1].dsn('shop'), N2_DSN: clusters[2].dsn('shop') };
  writeFileSync(
    path.join(work, 'plan.yaml'),
    `version: 1
name: shop
source:
  dsn: \${SOURCE_DSN}
nodes:
  - name: n1
    dsn: \${N1_DSN}
  - name: n2
    dsn: \${N2_DSN}
replication:
  - { node: n1, publication: pub1, slot: slot1, subscription: sub1 }
  - { node: n2, publication: pub2, slot: slot2, subscription: sub2 }
compare:
  queries: queries.yaml
`,
  );
  try {
    process.stdout.write(`$ migrate compare plan.yaml --duration ${DURATION}\n`);
    process.stdout.write(execFileSync(process.execPath, [CLI, 'compare', path.join(work, 'plan.yaml'), '--duration', DURATION, '--output', OUT], { env: { ...process.env, ...env }, encoding: 'utf8' }));
    code = 0;
  } catch (e) {
    process.stdout.write(String(e.stdout ?? ''));
    code = e.status ?? 1;
  }
} finally {
  await Promise.all(clusters.map((c) => c.stop()));
  if (!process.argv.includes('--out')) rmSync(work, { recursive: true, force: true });
}
process.exit(code);
