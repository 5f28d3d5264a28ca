// A node that cannot take writes (a hot standby, a database or role whose
// sessions start read-only), against real clusters: found before anything is
// created, by check and by apply, fresh or resumed.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { PG_BIN, type Cluster } from '../harness/index.js';
import { clustersForFile, runCli, sourceObjects } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;
const standbys: string[] = [];
const root = process.getuid?.() === 0;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));
const setUp = (name: string, extraSql = '') => migration(name, { extraSql });

afterAll(() => {
  for (const d of standbys) {
    asPostgres(`${PG_BIN}/pg_ctl`, ['-D', join(d, 'data'), '-m', 'immediate', '-w', 'stop']);
    rmSync(d, { recursive: true, force: true });
  }
});

/** Nothing of the plan exists on the source: no slot, no publication. */
async function nothingCreated(db: string, tag: string): Promise<void> {
  expect(await sourceObjects(source, db, tag)).toEqual([]);
}

function asPostgres(program: string, args: string[], env: Record<string, string> = {}): ReturnType<typeof spawnSync> {
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  return spawnSync(file, argv, { env: { ...process.env, ...env }, encoding: 'utf8', cwd: tmpdir() });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A hot standby of `primary`, streaming from it, on a port of its own (same password). */
async function startStandby(primary: Cluster): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pgm-standby-'));
  standbys.push(dir);
  if (root) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout));
  const data = join(dir, 'data');
  const backup = asPostgres(`${PG_BIN}/pg_basebackup`, ['-d', `host=127.0.0.1 port=${primary.port} user=postgres`, '-D', data, '-R', '-X', 'stream', '--checkpoint=fast'], { PGPASSWORD: primary.password });
  expect(backup.status, String(backup.stderr)).toBe(0);
  const port = await freePort();
  const start = asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c hot_standby=on`, '-w', 'start']);
  expect(start.status, String(start.stderr) + String(start.stdout)).toBe(0);
  return port;
}

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

  it('a real hot standby as a node is an error for check, and apply refuses before creating any slot', async () => {
    const { db, dir, file, env } = await setUp('standby-node');
    const port = await startStandby(n2);
    writeFileSync(file, readFileSync(file, 'utf8').replace(`port=${n2.port} `, `port=${port} `));
    const check = await runCli(['check', file], { cwd: dir, env });
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/ERROR\s+node\.writable\s+n2\s+node n2 is a hot standby/);
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(1);
    expect(apply.stderr).toContain('node n2 is a hot standby');
    await nothingCreated(db, 'standby_node');
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

