// The dump directory against real clusters: an empty mount point is emptied,
// not removed; one pg_dump could not use is found before anything is created.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { type Cluster } from '../harness/index.js';
import { clustersForFile, runCli, sourceObjects, tempDir, writePlan } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;
const mounts: string[] = [];
const root = process.getuid?.() === 0;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));
const setUp = (name: string, extraSql = '') => migration(name, { extraSql });

afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
});

/** Nothing of the plan exists on the source: no slot, no publication. */
async function nothingCreated(db: string, tag: string): Promise<void> {
  expect(await sourceObjects(source, db, tag)).toEqual([]);
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
