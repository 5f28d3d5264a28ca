// Proves the integration harness itself: real clusters come up configured for
// logical replication, pgbench can write to them, and fingerprints work.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareClusters,
  startClusters,
  startWriteLoad,
  tableFingerprint,
  userTables,
  type Cluster,
} from '../harness/index.js';

const T = 60_000;

describe('integration harness', () => {
  let clusters: Cluster[] = [];
  let source: Cluster;

  beforeAll(async () => {
    clusters = await startClusters(['source', 'n1', 'n2']);
    source = clusters[0];
  }, T);

  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  }, T);

  it('starts distinct clusters configured for logical replication', async () => {
    expect(new Set(clusters.map((c) => c.port)).size).toBe(3);
    for (const c of clusters) {
      const [row] = await c.query<{ wal_level: string }>('SHOW wal_level');
      expect(row.wal_level, c.name).toBe('logical');
    }
    // TCP + scram with the generated password, via the DSN other code will be handed.
    const [who] = await source.query<{ u: string; addr: string }>(
      'SELECT current_user AS u, host(inet_server_addr()) AS addr',
    );
    expect(who).toEqual({ u: 'postgres', addr: '127.0.0.1' });
    expect(source.dsn('app')).toBe(
      `postgresql://postgres:${encodeURIComponent(source.password)}@127.0.0.1:${source.port}/app`,
    );
  }, T);

  it('runs a pgbench write load and fingerprints the result', async () => {
    await source.createDatabase('app');
    await source.exec(
      `CREATE TABLE public.events (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz DEFAULT now());
       CREATE SCHEMA "S2";
       CREATE TABLE "S2"."t" (k int);`,
      'app',
    );

    const load = startWriteLoad(source, {
      db: 'app',
      script: "INSERT INTO public.events(payload) VALUES (md5(random()::text));",
      clients: 2,
      rate: 200,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const result = await load.stop();
    expect(result.failed, result.stderr).toBe(false);
    expect(result.transactions).toBeGreaterThan(0);

    const fp = await tableFingerprint(source, 'app', 'public.events');
    // Every reported transaction inserted exactly one row.
    expect(fp.rows).toBe(result.transactions);
    expect(fp.md5).toMatch(/^[0-9a-f]{32}$/);

    expect(await userTables(source, 'app')).toEqual(['"S2".t', 'public.events']);

    // The same rows loaded elsewhere in a different physical order must fingerprint identically.
    const n1 = clusters[1];
    await n1.createDatabase('app');
    await n1.exec(
      'CREATE TABLE public.events (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz DEFAULT now());',
      'app',
    );
    // at::text because a JS Date would drop the microseconds.
    const rows = await source.query<{ id: string; payload: string; at: string }>(
      'SELECT id, payload, at::text AS at FROM public.events ORDER BY id DESC',
      [],
      'app',
    );
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await n1.query(
        `INSERT INTO public.events(id, payload, at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])`,
        [chunk.map((r) => r.id), chunk.map((r) => r.payload), chunk.map((r) => r.at)],
        'app',
      );
    }
    const [cmp] = await compareClusters([source, n1], 'app', ['public.events']);
    expect(cmp.equal).toBe(true);
    expect(cmp.byCluster.n1).toEqual(fp);

    await n1.exec('DELETE FROM public.events WHERE id = (SELECT min(id) FROM public.events)', 'app');
    const [after] = await compareClusters([source, n1], 'app', ['public.events']);
    expect(after.equal).toBe(false);
  }, T);

  it('survives a restart and stops idempotently', async () => {
    const n2 = clusters[2];
    await n2.restart();
    const [row] = await n2.query<{ one: number }>('SELECT 1 AS one');
    expect(row.one).toBe(1);

    await n2.stop();
    await n2.stop();
    expect(existsSync(n2.dataDir)).toBe(false);
    await expect(n2.query('SELECT 1')).rejects.toThrow();
  }, T);
});
