// What a node needs beyond the dump, against real clusters: the source
// database's own settings (a dump without --create leaves them out), a node
// that can take writes, and a dump directory that can be used. Each of the
// last two is found before anything is created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startClusters, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, slotNames, SAMPLE_SCHEMA } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;
const mounts: string[] = [];
const root = process.getuid?.() === 0;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
});

afterAll(async () => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
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

/** Nothing of the plan exists on the source: no slot, no publication. */
async function nothingCreated(db: string, tag: string): Promise<void> {
  expect((await slotNames(source)).filter((s) => s.startsWith(tag))).toEqual([]);
  expect(await source.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
}

/** writePlan writes a dump section of its own: the directory goes into it. */
function setDumpDirectory(plan: string, path: string): void {
  writeFileSync(plan, readFileSync(plan, 'utf8').replace('dump:\n  jobs: 2', `dump:\n  jobs: 2\n  directory: ${path}`));
}

function bindMount(dir: string, readOnly = false): void {
  mkdirSync(dir, { recursive: true });
  expect(spawnSync('mount', ['--bind', dir, dir]).status).toBe(0);
  mounts.push(dir);
  if (readOnly) expect(spawnSync('mount', ['-o', 'remount,bind,ro', dir]).status).toBe(0);
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
});

describe('a node that cannot take writes', () => {
  it('is an error for check, naming the node, and apply refuses before creating any slot', async () => {
    const { db, dir, file, env } = await setUp('ro-node');
    await n1.exec('ALTER DATABASE ro_node SET default_transaction_read_only = on');
    await n2.exec('ALTER ROLE postgres IN DATABASE ro_node SET default_transaction_read_only = on');

    const check = await runCli(['check', file], { cwd: dir, env });
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/ERROR\s+node\.writable\s+n1 .*read-only/);
    expect(check.stdout).toMatch(/ERROR\s+node\.writable\s+n2 .*read-only/);

    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(1);
    expect(apply.stderr).toMatch(/n1.*read-only/);
    expect(apply.stderr).toMatch(/n2.*read-only/);
    await nothingCreated(db, 'ro_node');
  });

  it('stops a resumed apply too, before its restore, keeping what the first run created; once fixed, the rerun completes', async () => {
    const { db, dir, file, env } = await setUp('ro-resume');
    writeFileSync(file, readFileSync(file, 'utf8') + 'hooks:\n  - after: prepare\n    run: test -e killed-prepare || { touch killed-prepare; kill -9 $PPID; }\n');
    const first = await runCli(['apply', file], { cwd: dir, env });
    expect(first.signal ?? first.code, first.stderr).toBe('SIGKILL');
    await n2.exec('ALTER DATABASE ro_resume SET default_transaction_read_only = on');
    const second = await runCli(['apply', file], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(1);
    expect(second.stderr).toMatch(/node n2 is read-only/);
    expect(second.stderr).toContain('Nothing more was changed');
    expect(second.stderr).toContain('!! The slots ro_resume_slot1, ro_resume_slot2 stay on the source');
    expect(await n1.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'shop'", [], db)).toEqual([{ n: 0 }]);
    await n2.exec('ALTER DATABASE ro_resume RESET default_transaction_read_only', 'postgres');
    const third = await runCli(['apply', file], { cwd: dir, env });
    expect(third.code, third.stdout + third.stderr).toBe(0);
  });
});

describe('the dump directory', () => {
  it.runIf(root)('an empty mount point as dump.directory is emptied, not removed: apply works', async () => {
    const dir0 = tempDir('dump-mount');
    const mountPoint = join(dir0, 'mnt');
    bindMount(mountPoint);
    const { dir, file, env } = await setUp('dump-mount');
    setDumpDirectory(file, mountPoint);
    const r = await runCli(['apply', file], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('a file, a directory with files of its own, or a read-only one is an error for check, and apply creates nothing', async () => {
    const base = tempDir('dump-bad');
    const cases: { name: string; path: string }[] = [];
    const file = join(base, 'a-file');
    writeFileSync(file, 'not a directory');
    cases.push({ name: 'file', path: file });
    const foreign = join(base, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    cases.push({ name: 'foreign', path: foreign });
    if (root) {
      const ro = join(base, 'ro');
      bindMount(ro, true);
      cases.push({ name: 'read-only', path: ro });
    } else {
      const locked = join(base, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o555);
      cases.push({ name: 'read-only', path: join(locked, 'dump') });
    }
    // Nothing is created in any case: one database serves them all.
    const { db } = await setUp('dump-bad');
    for (const c of cases) {
      const name = `dump-bad-${c.name}`;
      const dir = tempDir(name);
      const { file: plan, env } = writePlan(dir, { name, source, nodes: [n1, n2], db });
      setDumpDirectory(plan, c.path);
      const check = await runCli(['check', plan], { cwd: dir, env });
      expect(check.code, `${c.name}: ${check.stdout}${check.stderr}`).toBe(1);
      expect(check.stdout, c.name).toMatch(/ERROR\s+tools\.dump_directory/);
      const apply = await runCli(['apply', plan], { cwd: dir, env });
      expect(apply.code, `${c.name}: ${apply.stdout}${apply.stderr}`).toBe(1);
      expect(apply.stderr, c.name).toContain(c.path);
      await nothingCreated(db, name.replace(/-/g, '_'));
    }
  });
});
