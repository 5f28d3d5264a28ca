// Two runs of one migration from different state directories must never work
// on each other's objects: each marks what it creates, refuses what another
// run created (naming that run), and takes it over only when told to.
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { SAMPLE_LOAD, clustersForFile, runCli, tempDir, waitForSlots } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));
const setUp = (name: string, extra = '') => migration(name, { extra });

async function differences(db: string): Promise<unknown[]> {
  await waitForSlots(source, db);
  return (await compareClusters([source, n1, n2], db, await userTables(source, db))).filter((t) => !t.equal);
}

async function leftovers(db: string, tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const r of await source.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [`${tag}%`])) found.push(`slot ${r.slot_name}`);
  for (const r of await source.query<{ pubname: string }>('SELECT pubname FROM pg_publication', [], db)) found.push(`publication ${r.pubname}`);
  for (const n of [n1, n2]) for (const r of await n.query<{ subname: string }>('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [], db)) found.push(`subscription ${r.subname} on ${n.name}`);
  return found;
}

/** A bin directory whose pg_restore kills the migrate process that started it, once, while the real one goes on. */
function killingRestore(dir: string): string {
  const bin = join(dir, 'bin-kill-restore');
  mkdirSync(bin, { recursive: true });
  for (const p of readdirSync(PG_BIN)) if (p !== 'pg_restore' && !existsSync(join(bin, p))) symlinkSync(join(PG_BIN, p), join(bin, p));
  const marker = join(bin, 'killed');
  writeFileSync(
    join(bin, 'pg_restore'),
    `#!/bin/sh
case "$*" in *--format=directory*) ;; *) exec "${PG_BIN}/pg_restore" "$@" ;; esac
if [ ! -e "${marker}" ]; then touch "${marker}"; "${PG_BIN}/pg_restore" "$@" & sleep 0.15; kill -9 $PPID; wait; exit 1; fi
exec "${PG_BIN}/pg_restore" "$@"
`,
  );
  chmodSync(join(bin, 'pg_restore'), 0o755);
  return bin;
}

describe('two runs of one migration from different state directories', () => {
  it('a second run refuses the first run\'s objects, naming it; --take-over takes them over; the first run, resumed, then refuses and drops nothing', async () => {
    const { db, dir, file, env } = await setUp('two-resume', `tools:\n  bin_dir: ${killingRestore(tempDir('two-resume-bin'))}`);
    const stateA = join(dir, '.migrate', 'two-resume');
    const stateB = join(dir, 'state-b');
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    try {
      const a = await runCli(['apply', file], { cwd: dir, env });
      expect(a.signal ?? a.code, a.stderr).toBe('SIGKILL'); // cut off during a restore: a resumed A would redo it

      const b = await runCli(['apply', file, '--state-dir', stateB], { cwd: dir, env });
      expect(b.code, b.stdout + b.stderr).toBe(1);
      expect(b.stderr).toContain('another run of this migration');
      expect(b.stderr).toContain(stateA);
      expect(b.stderr).toContain(hostname());
      expect(b.stderr).toContain('--take-over');
      expect(b.stdout + b.stderr).not.toMatch(/start\s+\[(slot|anchor|dump|restore)/); // it changed nothing

      const taken = await runCli(['apply', file, '--state-dir', stateB, '--take-over'], { cwd: dir, env });
      expect(taken.code, taken.stdout + taken.stderr).toBe(0);
      expect(taken.stderr).toMatch(/took over .*from the run started .* state directory .*\.migrate\/two-resume/s);

      // A comes back: it must not drop and restore tables under B's live subscriptions.
      const resumed = await runCli(['apply', file], { cwd: dir, env });
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(1);
      expect(resumed.stderr).toContain('another run of this migration');
      expect(resumed.stderr).toContain(stateB);
      expect(resumed.stdout).not.toMatch(/start\s+\[restore/);
      const cutoverA = await runCli(['cutover', file], { cwd: dir, env });
      expect(cutoverA.code).toBe(1);
      expect(cutoverA.stderr).toContain(stateB);
      const abortA = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
      expect(abortA.code, abortA.stdout + abortA.stderr).toBe(1);
      expect(abortA.stderr).toContain(stateB);
      expect(abortA.stdout).not.toContain('removed');
    } finally {
      await load.stop();
    }
    expect(await differences(db)).toEqual([]); // every acknowledged row on both nodes
    expect(await leftovers(db, 'two_resume')).toHaveLength(6); // B's objects, all still there

    const abortB = await runCli(['abort', file, '--state-dir', stateB], { cwd: dir, env });
    expect(abortB.code, abortB.stdout + abortB.stderr).toBe(0);
    expect(await leftovers(db, 'two_resume')).toEqual([]);
  });

  it('an apply started while another runs from another state directory is refused at once, even with the preflight findings skipped; the first ends exact', async () => {
    // The first run holds still just after creating its publications and slots.
    const { db, dir, file, env } = await setUp('two-at-once', 'hooks:\n  - after: prepare\n    run: sleep 6');
    const stateB = join(dir, 'state-b');
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 100 });
    let a, b;
    try {
      const first = runCli(['apply', file], { cwd: dir, env });
      await new Promise((r) => setTimeout(r, 3000));
      b = await runCli(['apply', file, '--state-dir', stateB, '--skip-check', 'source.existing_publications', 'source.existing_slots'], { cwd: dir, env });
      a = await first;
    } finally {
      await load.stop();
    }
    expect(b.code, b.stdout + b.stderr).toBe(1);
    expect(b.stderr).toContain('another run of this migration');
    expect(b.stderr).toContain(join(dir, '.migrate', 'two-at-once'));
    expect(b.stdout).not.toMatch(/start\s+\[(slot|anchor|dump|restore)/);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(await differences(db)).toEqual([]);
    // Each run removes what it made, and only that: B made nothing.
    const abortB = await runCli(['abort', file, '--state-dir', stateB], { cwd: dir, env });
    expect(abortB.code).toBe(1);
    expect(await leftovers(db, 'two_at_once')).toHaveLength(6);
    expect((await runCli(['abort', file], { cwd: dir, env })).code).toBe(0);
    expect(await leftovers(db, 'two_at_once')).toEqual([]);
  });

  it("check names the run a publication, slot or subscription belongs to and says apply refuses it unless --take-over; this run's own are to be reused", async () => {
    const { db, dir, file, env } = await setUp('two-check');
    const stateA = join(dir, '.migrate', 'two-check');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    type F = { id: string; severity: string; target: string; found: string; why: string; fix?: string };
    const findings = async (state?: string): Promise<F[]> => {
      const r = await runCli(['check', file, '--json', ...(state ? ['--state-dir', state] : [])], { cwd: dir, env });
      return (JSON.parse(r.stdout) as { findings: F[] }).findings.filter((f) => /existing_(publications|slots|subscription)$/.test(f.id));
    };

    const other = await findings(join(dir, 'state-b'));
    expect(other.map((f) => `${f.id} ${f.target} ${f.severity}`).sort()).toEqual([
      'node.existing_subscription n1 error',
      'node.existing_subscription n2 error',
      'source.existing_publications source error',
      'source.existing_slots source error',
    ]);
    for (const f of other) {
      expect(f.found).toMatch(/belongs? to another run of this migration/);
      expect(f.found).toContain(stateA);
      expect(f.found).toContain(hostname());
      expect(f.found).not.toContain('already exists');
      expect(f.why).toContain('apply refuses another run\'s objects unless --take-over');
      expect(f.fix).toContain('--take-over');
      expect(f.fix).toContain(`--state-dir ${stateA}`);
    }
    expect(other.find((f) => f.id === 'source.existing_publications')!.found).toMatch(/^publications two_check_pub1, two_check_pub2 belong to another run/);

    const own = await findings();
    expect(own.map((f) => `${f.id} ${f.target} ${f.severity}`).sort()).toEqual([
      'node.existing_subscription n1 info',
      'node.existing_subscription n2 info',
      'source.existing_publications source info',
      'source.existing_slots source info',
    ]);
    for (const f of own) expect(f.found + f.why).toMatch(/this run.*reuse|reuse.*this run/s);

    expect((await runCli(['abort', file], { cwd: dir, env })).code).toBe(0);
    expect(await leftovers(db, 'two_check')).toEqual([]);
  });

  it('a dump directory in use by another run is refused before anything is created', async () => {
    const shared = join(tempDir('two-dump'), 'dump');
    // Two unrelated plans that name the same dump.directory.
    const useShared = (file: string) => writeFileSync(file, readFileSync(file, 'utf8').replace('dump:\n  jobs: 2', `dump:\n  jobs: 2\n  directory: ${shared}`));
    const first = await setUp('two-dump-a');
    useShared(first.file);
    expect((await runCli(['apply', first.file], { cwd: first.dir, env: first.env })).code).toBe(0);
    const second = await setUp('two-dump-b');
    useShared(second.file);
    const r = await runCli(['apply', second.file], { cwd: second.dir, env: second.env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`the dump directory ${shared} is in use by another run`);
    expect(r.stderr).toContain(join(first.dir, '.migrate', 'two-dump-a'));
    expect(await leftovers(second.db, 'two_dump_b')).toEqual([]);
    expect(existsSync(join(shared, 'toc.dat'))).toBe(true); // the first run's dump is untouched
    expect((await runCli(['abort', first.file], { cwd: first.dir, env: first.env })).code).toBe(0);
  });
});
