// migrate apply against three real PostgreSQL 15 clusters, under a live write
// load: exact copies, resumable after a kill at any step, and idempotent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { spawn, spawnSync } from 'node:child_process';
import { runCli, tempDir, writePlan, waitForSlots, slotNames, reportProblems, CLI, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;
let work: string;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
  work = tempDir('apply');
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

/** A fresh database on all three clusters: the sample schema and data on the source, nothing on the nodes. */
async function freshDatabase(db: string, extraSql = ''): Promise<void> {
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA + extraSql, db);
}

async function expectIdentical(db: string): Promise<void> {
  const tables = await userTables(source, db);
  expect(tables.length).toBeGreaterThanOrEqual(7);
  const result = await compareClusters([source, n1, n2], db, tables);
  const different = result.filter((r) => !r.equal);
  expect(different, JSON.stringify(different, null, 2)).toEqual([]);
}

function journal(dir: string, name: string): { tasks: Record<string, { status: string }> } {
  return JSON.parse(readFileSync(join(dir, '.migrate', name, 'journal.json'), 'utf8'));
}

/**
 * A bin directory whose `program` starts the real one and then kills the
 * migrate process that called it (once: a marker file remembers), so a test
 * can cut a run off in the middle of that program.
 */
function killingBinDir(dir: string, program: string): string {
  const bin = join(dir, `bin-kill-${program}`);
  mkdirSync(bin, { recursive: true });
  for (const p of readdirSync(PG_BIN)) if (p !== program && !existsSync(join(bin, p))) symlinkSync(join(PG_BIN, p), join(bin, p));
  const marker = join(bin, 'killed');
  writeFileSync(
    join(bin, program),
    `#!/bin/sh
case "$*" in *--format=directory*) ;; *) exec "${PG_BIN}/${program}" "$@" ;; esac
if [ ! -e "${marker}" ]; then
  touch "${marker}"
  "${PG_BIN}/${program}" "$@" &
  sleep 0.15
  kill -9 $PPID
  wait
  exit 1
fi
exec "${PG_BIN}/${program}" "$@"
`,
  );
  chmodSync(join(bin, program), 0o755);
  return bin;
}

const FILLER = `
CREATE TABLE public.filler (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO public.filler SELECT i, md5(i::text) FROM generate_series(1, 300000) i;`;

describe('migrate apply', () => {
  it('copies the source exactly onto two nodes while a write load runs, then streams it', async () => {
    const db = 'app_live';
    await freshDatabase(db);
    const { file, env } = writePlan(work, { name: 'live', source, nodes: [n1, n2], db });
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 200 });
    const r = await runCli(['apply', file], { cwd: work, env });
    await new Promise((res) => setTimeout(res, 1500)); // changes after catch-up stream too
    const stats = await load.stop();
    expect(r.stderr + r.stdout).toContain('apply succeeded');
    expect(r.code).toBe(0);
    expect(stats.transactions).toBeGreaterThan(50);
    await waitForSlots(source, db);
    await expectIdentical(db);

    // The passwords were in the environment: none reaches the output, the journal or the report.
    const runs = join(work, '.migrate', 'live', 'runs');
    const report = readdirSync(runs).map((d) => readFileSync(join(runs, d, 'report.json'), 'utf8') + readFileSync(join(runs, d, 'report.md'), 'utf8')).join('');
    for (const secret of [source.password, n1.password, n2.password]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(report).not.toContain(secret);
      expect(readFileSync(join(work, '.migrate', 'live', 'journal.json'), 'utf8')).not.toContain(secret);
    }
    const json = JSON.parse(readFileSync(join(runs, readdirSync(runs)[0], 'report.json'), 'utf8'));
    expect(await reportProblems(json)).toBeNull();
    expect(json.status).toBe('succeeded');
    expect(json.tasks.every((t: { id: string; status: string; started_at: string; finished_at: string; duration_ms: number }) => t.status === 'succeeded' && t.started_at && t.finished_at && t.duration_ms >= 0)).toBe(true);
    expect(json.facts.anchor.consistent_point).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);

    // Only the plan's own slots remain: the anchor's temporary slot is gone.
    expect((await slotNames(source)).filter((s) => s.startsWith('live'))).toEqual(['live_slot1', 'live_slot2']);
  });

  it('changes nothing when run again after success, and says so', async () => {
    const db = 'app_live';
    const { file, env } = writePlan(work, { name: 'live', source, nodes: [n1, n2], db });
    const before = await source.query('SELECT slot_name, restart_lsn FROM pg_replication_slots ORDER BY 1');
    const r = await runCli(['apply', file], { cwd: work, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to do');
    expect((await slotNames(source)).length).toBe(before.length);
  });

  it('refuses to start when the preflight finds an error, and changes nothing', async () => {
    const db = 'app_refused';
    await freshDatabase(db);
    await n2.exec('CREATE TABLE public.documents (id int)', db); // the restore would collide with it
    const { file, env } = writePlan(work, { name: 'refused', source, nodes: [n1, n2], db });
    const r = await runCli(['apply', file], { cwd: work, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('node.existing_objects');
    expect(r.stderr).toContain('nothing was changed');
    expect((await slotNames(source)).filter((s) => s.startsWith('refused'))).toEqual([]);
    expect(await source.query('SELECT pubname FROM pg_publication', [], db)).toEqual([]);
  });

  it('stops cleanly on Ctrl-C: the running child is ended, the message says how to resume, and a rerun finishes', async () => {
    const db = 'app_sigint';
    await freshDatabase(db);
    const dir = tempDir('sigint');
    const { file, env } = writePlan(dir, { name: 'sigint', source, nodes: [n1, n2], db, extra: 'hooks:\n  - before: dump\n    run: test -e slept || { touch slept; exec sleep 31.7; }' });
    const child = spawn(process.execPath, [CLI, 'apply', file], { cwd: dir, env: { ...process.env, CI: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    while (!stdout.includes('start   [hook:1]')) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stderr).toContain('was interrupted');
    expect(stderr).toContain(`migrate apply ${file}`);
    expect(stderr).toContain('migrate abort');
    expect(stderr).toMatch(/slots sigint_slot1, sigint_slot2 stay on the source/);
    expect(spawnSync('pgrep', ['-f', 'sleep 31.7']).status).toBe(1); // no such process left
    const j = journal(dir, 'sigint');
    expect(j.tasks['slot:n1'].status).toBe('done');
    expect(j.tasks['dump']).toBeUndefined();

    const again = await runCli(['apply', file], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    await expectIdentical(db);
  });

  it('refuses a second apply of the same plan while one runs, saying who holds it (and a hook allowed to fail only warns)', async () => {
    const db = 'app_lock';
    await freshDatabase(db);
    const dir = tempDir('lock');
    const { file, env } = writePlan(dir, { name: 'lock', source, nodes: [n1, n2], db, extra: 'hooks:\n  - before: prepare\n    run: sleep 3\n  - name: flaky-notify\n    after: catch-up\n    run: exit 4\n    continue_on_error: true' });
    const first = runCli(['apply', file], { cwd: dir, env });
    await new Promise((r) => setTimeout(r, 1000));
    const second = await runCli(['apply', file], { cwd: dir, env });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/plan lock is locked: migrate apply is running \(pid \d+/);
    const f = await first;
    expect(f.code, f.stdout + f.stderr).toBe(0);
    // A hook allowed to fail is a warning, not a failed run.
    expect(f.stderr).toContain('warning: hook:2: hook flaky-notify exited 4');
  });

  it('reports status per node, as a table and as JSON, and appends the report to a GitHub job summary', async () => {
    const db = 'app_live';
    const { file, env } = writePlan(work, { name: 'live', source, nodes: [n1, n2], db });
    const table = await runCli(['status', file], { cwd: work, env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/n1\s+live_sub1\s+yes\s+pid \d+/);
    expect(table.stdout).toContain('Every node is streaming.');
    const json = JSON.parse((await runCli(['status', file, '--json'], { cwd: work, env })).stdout);
    expect(json.healthy).toBe(true);
    expect(json.nodes[1]).toMatchObject({ node: 'n2', subscription: 'live_sub2', slot: 'live_slot2' });
    expect(typeof json.nodes[1].slot_state.retained_bytes).toBe('number');

    const summary = join(tempDir('summary'), 'summary.md');
    writeFileSync(summary, '');
    expect((await runCli(['apply', file], { cwd: work, env: { ...env, GITHUB_STEP_SUMMARY: summary } })).code).toBe(0);
    expect(readFileSync(summary, 'utf8')).toContain('# migrate apply: live');
  });

  const kills: { name: string; at: string; expectUnfinished: string; extra?: (dir: string) => string }[] = [
    { name: 'kill-slots', at: 'after the slots exist', expectUnfinished: 'anchor', extra: () => 'hooks:\n  - after: prepare\n    run: test -e killed-prepare || { touch killed-prepare; kill -9 $PPID; }' },
    { name: 'kill-dump', at: 'during the dump', expectUnfinished: 'dump', extra: (dir) => `tools:\n  bin_dir: ${killingBinDir(dir, 'pg_dump')}` },
    { name: 'kill-restore', at: 'during a restore', expectUnfinished: 'restore:n1', extra: (dir) => `tools:\n  bin_dir: ${killingBinDir(dir, 'pg_restore')}` },
    { name: 'kill-enable', at: 'after the subscriptions exist, before enable', expectUnfinished: 'enable:n1', extra: () => 'hooks:\n  - before: enable:n1\n    run: test -e killed-enable || { touch killed-enable; kill -9 $PPID; }' },
  ];

  for (const k of kills) {
    it(`resumes after a SIGKILL ${k.at}, and ends identical`, async () => {
      const db = `app_${k.name.replace('-', '_')}`;
      await freshDatabase(db, FILLER);
      const dir = tempDir(k.name);
      const { file, env } = writePlan(dir, { name: k.name, source, nodes: [n1, n2], db, extra: k.extra?.(dir) });
      const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
      try {
        const first = await runCli(['apply', file], { cwd: dir, env });
        expect(first.signal ?? first.code, first.stderr).toBe('SIGKILL');
        expect(journal(dir, k.name).tasks[k.expectUnfinished]?.status ?? 'not started').not.toBe('done');

        const second = await runCli(['apply', file], { cwd: dir, env });
        expect(second.code, second.stdout + second.stderr).toBe(0);
      } finally {
        await load.stop();
      }
      await waitForSlots(source, db);
      await expectIdentical(db);
      const prefix = k.name.replace('-', '_');
      expect((await slotNames(source)).filter((s) => s.startsWith(prefix) || s.includes('anchor'))).toEqual([`${prefix}_slot1`, `${prefix}_slot2`]);
    });
  }
});
