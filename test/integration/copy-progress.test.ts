// A long copy shows its progress in apply's output: rows per table, a rate,
// and the estimate it is measured against.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan } from './support.js';

let source: Cluster, n1: Cluster;

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

describe('copy progress', () => {
  it.each([
    // pg_dump's COPY TO on the source, or pg_restore's COPY FROM on the node
    ['dump', /\.\.\.\s+\[(dump|restore:n1)\] copying: public\.big [\d.]+ [kMG]?B, \d+ of ~1500000 rows/],
    // the totals, then the node's COPY FROM of the table being streamed
    ['stream', /\.\.\.\s+\[copy\] 0\/1 tables, [\d.]+ [kMG]?B, 0 rows, [\d.]+ [kMG]?B\/s, about \d+ s left; copying: public\.big [\d.]+ [kMG]?B, \d+ of ~1500000 rows/],
  ])('a long copy shows its progress: rows per table with a rate, against the source\'s estimate (copy.method %s)', async (method, line) => {
    const name = `long-copy-${method}`;
    const db = `long_copy_${method}`;
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec("CREATE TABLE big (id bigint PRIMARY KEY, pad text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 1500000) g; ANALYZE big;", db);
    const dir = tempDir(name);
    const { file, env } = writePlan(dir, { name, source, nodes: [n1], db, copyMethod: method });
    const r = await runCli(['apply', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The first look, a second into the copy, is printed at once; later ones at most every 10 s.
    expect(r.stdout).toMatch(line);
  }, 120_000);
});
