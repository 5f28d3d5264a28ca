// copy.method stream against real clusters under a write load: the data goes
// from one read of the source into both nodes at once without touching the
// runner's disk, carries what the dump carries, and a kill at any point of the
// copy resumes exactly (at a new anchor, every table recopied).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { startClusters, startWriteLoad, compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, waitForSlots, slotNames, CLI, SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

beforeAll(async () => {
  [source, n1, n2] = await startClusters(['source', 'n1', 'n2']);
});

afterAll(async () => {
  await Promise.all([source, n1, n2].filter(Boolean).map((c) => c.stop()));
});

// What a dump carries besides plain rows: large objects (one larger than a
// piece of the copy), a standalone sequence, a generated column, an unlogged
// table, a dropped column, a materialized view, a trigger, a foreign key.
const EXTRAS = `
CREATE TABLE public.filler (id int PRIMARY KEY, v text NOT NULL, len int GENERATED ALWAYS AS (length(v)) STORED, gone int);
INSERT INTO public.filler (id, v) SELECT i, md5(i::text) FROM generate_series(1, 200000) i;
ALTER TABLE public.filler DROP COLUMN gone;
CREATE UNLOGGED TABLE public.scratch (k int PRIMARY KEY REFERENCES public.filler (id));
INSERT INTO public.scratch SELECT generate_series(1, 100);
CREATE MATERIALIZED VIEW public.filler_stats AS SELECT count(*) AS n FROM public.filler;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE UPDATE ON public.scratch FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE SEQUENCE public.tickets;
SELECT nextval('public.tickets') FROM generate_series(1, 5);
SELECT lo_from_bytea(0, convert_to(repeat('large object ', 250000), 'UTF8'));
SELECT lo_from_bytea(0, '\\x0001ff'::bytea);
CREATE TYPE public.mood AS ENUM ('ok', 'sad');
CREATE TABLE public.moods (id int PRIMARY KEY, m public.mood NOT NULL);
INSERT INTO public.moods SELECT i, CASE WHEN i % 2 = 0 THEN 'ok' ELSE 'sad' END::public.mood FROM generate_series(1, 50) i;`;

async function freshDatabase(db: string): Promise<void> {
  await Promise.all([source, n1, n2].map((c) => c.createDatabase(db)));
  await source.exec(SAMPLE_SCHEMA + EXTRAS, db);
}

async function expectIdentical(db: string): Promise<void> {
  const tables = await userTables(source, db);
  const different = (await compareClusters([source, n1, n2], db, tables)).filter((r) => !r.equal);
  expect(different, JSON.stringify(different, null, 2)).toEqual([]);
}

/** The whole database's pg_dump --schema-only, less the per-run \restrict key pg_dump 15.14+ writes. */
function schemaDump(c: Cluster, db: string): string {
  const text = execFileSync(join(PG_BIN, 'pg_dump'), ['--schema-only', '--no-publications', '--no-subscriptions', `--dbname=${c.dsn(db)}`], { encoding: 'utf8' });
  return text.replace(/^\\(un)?restrict .*$/gm, '');
}

function journal(dir: string, name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, '.migrate', name, 'journal.json'), 'utf8'));
}

function lastReport(dir: string, name: string): Record<string, any> {
  const runs = join(dir, '.migrate', name, 'runs');
  return JSON.parse(readFileSync(join(runs, readdirSync(runs).sort().pop()!, 'report.json'), 'utf8'));
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
}

/** The plan's copy section with tables above 1 MB split into ctid ranges (public.filler, 200000 rows, becomes several). */
function splitting(file: string, jobs = 2): void {
  writeFileSync(file, readFileSync(file, 'utf8').replace('method: stream\n  jobs: 2', `method: stream\n  jobs: ${jobs}\n  split_above_mb: 1`));
}

/** A bin directory whose pg_restore kills the migrate process that called it once, during the post-data build. */
function killingPostData(dir: string): string {
  const bin = join(dir, 'bin-kill-post-data');
  mkdirSync(bin, { recursive: true });
  for (const p of readdirSync(PG_BIN)) if (p !== 'pg_restore' && !existsSync(join(bin, p))) symlinkSync(join(PG_BIN, p), join(bin, p));
  const marker = join(bin, 'killed');
  writeFileSync(
    join(bin, 'pg_restore'),
    `#!/bin/sh
case "$*" in *--section=post-data*) ;; *) exec "${PG_BIN}/pg_restore" "$@" ;; esac
if [ ! -e "${marker}" ]; then
  touch "${marker}"
  "${PG_BIN}/pg_restore" "$@" &
  sleep 0.1
  kill -9 $PPID
  wait
  exit 1
fi
exec "${PG_BIN}/pg_restore" "$@"
`,
  );
  chmodSync(join(bin, 'pg_restore'), 0o755);
  return bin;
}

describe('copy.method stream', () => {
  it('copies under a write load into both nodes at once, a large table in ctid ranges, binary where the types allow: tables, schema (pg_dump -s), large objects and sequences as the dump would, only the schema on disk', async () => {
    const db = 'stream_live';
    await freshDatabase(db);
    const dir = tempDir('stream-live');
    const { file, env } = writePlan(dir, { name: 'stream-live', source, nodes: [n1, n2], db, copyMethod: 'stream' });
    splitting(file);
    const plan = await runCli(['plan', file], { cwd: dir, env });
    expect(plan.stdout).toContain('COPY <schema>.<table> FROM STDIN WITH (FREEZE)');
    expect(plan.stdout).toContain('--section=pre-data');
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 200 });
    let r;
    try {
      r = await runCli(['apply', file], { cwd: dir, env });
    } finally {
      await load.stop();
    }
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await waitForSlots(source, db);
    await expectIdentical(db);
    expect(schemaDump(n1, db)).toBe(schemaDump(source, db));
    expect(schemaDump(n2, db)).toBe(schemaDump(source, db));
    const los = (c: Cluster) => c.query("SELECT oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid", [], db);
    expect((await los(source)).length).toBe(2);
    expect(await los(n1)).toEqual(await los(source));
    expect(await los(n2)).toEqual(await los(source));
    for (const n of [n1, n2]) expect(await n.query('SELECT last_value::int, is_called FROM public.tickets', [], db)).toEqual([{ last_value: 5, is_called: true }]);
    expect(await n1.query('SELECT n::int FROM public.filler_stats', [], db)).toEqual([{ n: 200000 }]);

    // Only the schema went to the runner's disk; the tables hold megabytes.
    expect(dirBytes(join(dir, '.migrate', 'stream-live', 'dump'))).toBeLessThan(200_000);
    const report = lastReport(dir, 'stream-live');
    const filler = report.facts.stream_copy.tables['public.filler'];
    expect(filler).toMatchObject({ rows: 200000, nodes: ['n1', 'n2'], format: 'binary' });
    // A generated and a dropped column: the ranges name the copied columns on both sides.
    expect(filler.ranges).toBeGreaterThan(2);
    // An enum's OID is the source cluster's own, which binary COPY would carry in arrays and records: text, whatever the column.
    expect(report.facts.stream_copy.tables['public.moods']).toMatchObject({ rows: 50, format: 'text' });
    expect(report.facts.stream_copy.tables['public.moods'].ranges).toBeUndefined();
    expect(filler.bytes).toBeGreaterThan(5_000_000);
    expect(typeof filler.ms).toBe('number');
    expect(report.tasks.find((t: { id: string }) => t.id === 'copy').summary).toMatch(/streamed \d+ tables \(\d+ rows, .*\) into n1, n2 at once/);
    expect((await slotNames(source)).filter((s) => s.startsWith('stream_live'))).toEqual(['stream_live_slot1', 'stream_live_slot2']);
  });

  it('resumes after a SIGKILL in the middle of the copy: a new anchor, the tables recreated and every one recopied, identical', async () => {
    const db = 'stream_kill_copy';
    await freshDatabase(db);
    const dir = tempDir('stream-kill-copy');
    // One job: the tables go one after the other, so the kill leaves some copied and some not.
    const { file, env } = writePlan(dir, { name: 'stream-kill-copy', source, nodes: [n1, n2], db, copyMethod: 'stream' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('method: stream\n  jobs: 2', 'method: stream\n  jobs: 1'));
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
    try {
      const child = spawn(process.execPath, [CLI, 'apply', file], { cwd: dir, env: { ...process.env, CI: '1', ...env } });
      const exited = new Promise((res) => child.on('exit', (_code, signal) => res(signal)));
      const journalFile = join(dir, '.migrate', 'stream-kill-copy', 'journal.json');
      const copiedSome = () => existsSync(journalFile) && Object.keys(journal(dir, 'stream-kill-copy').facts.stream_copy?.tables ?? {}).length >= 1;
      while (!copiedSome()) await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const first = journal(dir, 'stream-kill-copy');
      expect(first.tasks.copy.status).not.toBe('done');
      const tables = (await userTables(source, db)).length;
      expect(Object.keys(first.facts.stream_copy.tables).length).toBeLessThan(tables);

      const second = await runCli(['apply', file], { cwd: dir, env });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      const after = journal(dir, 'stream-kill-copy');
      expect(after.facts.anchor.snapshot).not.toBe(first.facts.anchor.snapshot);
      expect(after.facts.stream_copy.snapshot).toBe(after.facts.anchor.snapshot);
      expect(Object.keys(after.facts.stream_copy.tables).length).toBe(tables);
      expect(after.tasks['pre-data:n1'].summary).toContain('redone from scratch');
    } finally {
      await load.stop();
    }
    await waitForSlots(source, db);
    await expectIdentical(db);
    expect(schemaDump(n1, db)).toBe(schemaDump(source, db));
    expect((await slotNames(source)).filter((s) => s.startsWith('stream_kill') || s.includes('anchor'))).toEqual(['stream_kill_copy_slot1', 'stream_kill_copy_slot2']);
  });

  it('resumes after a SIGKILL with a table cut off between its ctid ranges (some committed on the nodes, some not): a new anchor, the table recreated, every range recopied, identical', async () => {
    const db = 'stream_kill_range';
    await freshDatabase(db);
    const dir = tempDir('stream-kill-range');
    const { file, env } = writePlan(dir, { name: 'stream-kill-range', source, nodes: [n1, n2], db, copyMethod: 'stream' });
    splitting(file);
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
    try {
      const child = spawn(process.execPath, [CLI, 'apply', file], { cwd: dir, env: { ...process.env, CI: '1', ...env } });
      const exited = new Promise((res) => child.on('exit', (_code, signal) => res(signal)));
      // A range has committed on n1 when its rows are visible there; the table is journaled only once all are in.
      let rows = 0;
      while (rows === 0 && child.exitCode === null) {
        // Until pre-data has created it, the table does not exist.
        rows = await n1.query<{ n: number }>('SELECT count(*)::int AS n FROM public.filler', [], db).then((r) => r[0].n, () => 0);
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const first = journal(dir, 'stream-kill-range');
      expect(first.facts.stream_copy?.tables['public.filler']).toBeUndefined();
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThan(200000);

      const second = await runCli(['apply', file], { cwd: dir, env });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      const after = journal(dir, 'stream-kill-range');
      expect(after.facts.anchor.snapshot).not.toBe(first.facts.anchor.snapshot);
      expect(after.tasks['pre-data:n1'].summary).toContain('redone from scratch');
      expect(after.facts.stream_copy.tables['public.filler']).toMatchObject({ rows: 200000, nodes: ['n1', 'n2'] });
    } finally {
      await load.stop();
    }
    await waitForSlots(source, db);
    await expectIdentical(db);
    for (const n of [n1, n2]) expect(await n.query('SELECT count(*)::int AS n FROM public.filler', [], db)).toEqual([{ n: 200000 }]);
  });

  it('resumes after a SIGKILL during the index build: the data stays, the cut-off build is dropped and redone, identical', async () => {
    const db = 'stream_kill_post';
    await freshDatabase(db);
    const dir = tempDir('stream-kill-post');
    const { file, env } = writePlan(dir, { name: 'stream-kill-post', source, nodes: [n1, n2], db, copyMethod: 'stream', extra: `tools:\n  bin_dir: ${killingPostData(dir)}` });
    const load = startWriteLoad(source, { db, script: SAMPLE_LOAD, clients: 2, rate: 150 });
    try {
      const first = await runCli(['apply', file], { cwd: dir, env });
      expect(first.signal ?? first.code, first.stderr).toBe('SIGKILL');
      const j = journal(dir, 'stream-kill-post');
      expect(j.tasks.copy.status).toBe('done');
      const snapshot = j.facts.anchor.snapshot;
      const second = await runCli(['apply', file], { cwd: dir, env });
      expect(second.code, second.stdout + second.stderr).toBe(0);
      // The copy was complete under its anchor: neither is redone.
      expect(journal(dir, 'stream-kill-post').facts.anchor.snapshot).toBe(snapshot);
    } finally {
      await load.stop();
    }
    await waitForSlots(source, db);
    await expectIdentical(db);
    expect(schemaDump(n1, db)).toBe(schemaDump(source, db));
    expect(schemaDump(n2, db)).toBe(schemaDump(source, db));
  });
});
