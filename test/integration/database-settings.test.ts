// The source database's own settings (a dump without --create leaves them
// out), carried to every node by apply, against real clusters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, SAMPLE_SCHEMA } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

async function setUp(name: string, extraSql = ''): Promise<{ db: string; dir: string; file: string; env: Record<string, string> }> {
  const db = name.replace(/-/g, '_');
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA + extraSql, db);
  const dir = tempDir(name);
  const { file, env } = writePlan(dir, { name, source, nodes: [n1, n2], db });
  return { db, dir, file, env };
}

describe('database settings', () => {
  it("carries the source database's settings and its roles' settings in it to every node, shows them in the plan, and warns about a role the node lacks", async () => {
    await source.exec('DROP ROLE IF EXISTS settings_ghost; CREATE ROLE settings_ghost');
    const { db, dir, file, env } = await setUp(
      'db-settings',
      `CREATE SCHEMA app; CREATE TABLE app.things (id int PRIMARY KEY); INSERT INTO app.things SELECT generate_series(1, 3);
       ALTER DATABASE db_settings SET search_path = app, "$user", public;
       ALTER ROLE postgres IN DATABASE db_settings SET work_mem = '7MB';
       ALTER ROLE settings_ghost IN DATABASE db_settings SET search_path = app;`,
    );
    const plan = await runCli(['plan', file], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('[settings:n1]');
    expect(plan.stdout).toContain('pg_db_role_setting');
    expect(plan.stdout).toMatch(/ALTER DATABASE db_settings SET/);

    const r = await runCli(['apply', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/settings_ghost.*n1|n1.*settings_ghost/);
    for (const n of [n1, n2]) {
      // A new session resolves the unqualified name through the carried search_path.
      expect(await n.query('SELECT count(*)::int AS n FROM things', [], db)).toEqual([{ n: 3 }]);
      expect(await n.query('SHOW work_mem', [], db)).toEqual([{ work_mem: '7MB' }]);
      expect(await n.query("SELECT current_setting('search_path') AS p", [], db)).toEqual([{ p: 'app, "$user", public' }]);
    }
  });

  it('abort --drop-data gives each node back the settings its database had before apply: what apply set is reset, what the node had is restored, the rest untouched', async () => {
    const { db, dir, file, env } = await setUp(
      'db-settings-abort',
      `CREATE SCHEMA app;
       ALTER DATABASE db_settings_abort SET search_path = app, public;
       ALTER DATABASE db_settings_abort SET work_mem = '7MB';
       ALTER ROLE postgres IN DATABASE db_settings_abort SET lock_timeout = '11s';`,
    );
    // n1 had settings of its own before: one the source also sets, one it does not.
    await n1.exec(`ALTER DATABASE db_settings_abort SET work_mem = '3MB'; ALTER DATABASE db_settings_abort SET statement_timeout = '9s'; ALTER ROLE postgres IN DATABASE db_settings_abort SET lock_timeout = '2s'`);
    const settingsOf = (c: Cluster) =>
      c.query<{ role: string | null; setconfig: string[] }>(
        `SELECT r.rolname AS role, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
          WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1 NULLS FIRST`,
        [],
        db,
      );
    const sorted = (rows: { role: string | null; setconfig: string[] }[]) => rows.map((r) => ({ role: r.role, setconfig: [...r.setconfig].sort() }));
    const before = { n1: sorted(await settingsOf(n1)), n2: sorted(await settingsOf(n2)) };
    expect(before.n2).toEqual([]);

    const r = await runCli(['apply', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await n1.query('SHOW work_mem', [], db)).toEqual([{ work_mem: '7MB' }]);
    expect(await n2.query('SHOW lock_timeout', [], db)).toEqual([{ lock_timeout: '11s' }]);

    const abort = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(abort.stdout).toMatch(/removed the database settings apply carried to n1 \(search_path, work_mem, lock_timeout for postgres\)/);
    expect(sorted(await settingsOf(n1))).toEqual(before.n1);
    expect(sorted(await settingsOf(n2))).toEqual([]);
    expect(await n1.query('SHOW work_mem', [], db)).toEqual([{ work_mem: '3MB' }]);
    expect(await n2.query('SHOW work_mem', [], db)).toEqual([{ work_mem: '4MB' }]);
    // The source's own are untouched.
    expect(await source.query('SHOW work_mem', [], db)).toEqual([{ work_mem: '7MB' }]);
  });
});
