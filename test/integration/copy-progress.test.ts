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
  it('a long copy shows its progress: rows per table with a rate, against the source\'s estimate', async () => {
    const name = 'long-copy';
    const db = 'long_copy';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec("CREATE TABLE big (id bigint PRIMARY KEY, pad text); INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 1500000) g; ANALYZE big;", db);
    const dir = tempDir(name);
    const { file, env } = writePlan(dir, { name, source, nodes: [n1], db });
    const r = await runCli(['apply', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The first look, a second into the copy, is printed at once; later ones at most every 10 s.
    expect(r.stdout).toMatch(/\.\.\.\s+\[(dump|restore:n1)\] copying: public\.big [\d.]+ [kMG]?B, \d+ of ~1500000 rows/);
  }, 120_000);
});
