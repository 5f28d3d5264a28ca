// What a person reads when something is not quite right: a closed pipe, a
// plan that is a trap, a missing password, a hook that failed but was allowed
// to, and the report's list of what changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, type Cluster } from '../harness/index.js';
import { CLI, runCli, tempDir, writePlan, SAMPLE_SCHEMA } from './support.js';

let source: Cluster, n1: Cluster;

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

function lastReport(dir: string, name: string, stage: string): { json: Record<string, any>; md: string } {
  const runs = join(dir, '.migrate', name, 'runs');
  const last = readdirSync(runs).filter((r) => r.endsWith(stage)).sort().pop()!;
  return { json: JSON.parse(readFileSync(join(runs, last, 'report.json'), 'utf8')), md: readFileSync(join(runs, last, 'report.md'), 'utf8') };
}

describe('output a person reads', () => {
  it('`migrate --help | head -1`: a reader that went away ends the command quietly', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the pipe's reader is gone before anything is written
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('a YAML alias bomb and a state_dir that is a file are bad input: exit 2, one clear line, no internal error', async () => {
    const dir = tempDir('bad-input');
    const bomb = join(dir, 'bomb.yaml');
    const level = (n: number) => `l${n}: &l${n} [${Array(10).fill(n === 0 ? '"x"' : `*l${n - 1}`).join(', ')}]`;
    writeFileSync(bomb, ['version: 1', 'name: bomb', 'l0: &l0 ["x"]', ...[1, 2, 3, 4, 5, 6].map(level)].join('\n') + '\n');
    const r = await runCli(['validate', bomb], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('internal error');
    expect(r.stderr).toMatch(/^bomb\.yaml:1:1: YAML: too many aliases .*\n1 error; nothing was changed\.\n$/);

    const { file, env } = writePlan(dir, { name: 'state-file', source, nodes: [n1], db: 'postgres', extra: 'state_dir: not-a-dir' });
    writeFileSync(join(dir, 'not-a-dir'), 'a file\n');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code).toBe(2);
    expect(apply.stderr).not.toContain('internal error');
    expect(apply.stderr).toContain(`migrate: the state directory ${join(dir, 'not-a-dir')} is a file, or lies under one: it must be a directory`);
  });

  it('a DSN without a password: says the server asked for one and where to give it', async () => {
    const dir = tempDir('no-password');
    const { file, env } = writePlan(dir, { name: 'no-password', source, nodes: [n1], db: 'postgres' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('postgres:${SOURCE_PASSWORD}@', 'postgres@'));
    const r = await runCli(['apply', file], { cwd: dir, env: { ...env, PGPASSWORD: '', PGPASSFILE: join(dir, 'none') } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain('SASL');
    expect(r.stdout + r.stderr).toContain('the server asked for a password and none was given');
    expect(r.stdout + r.stderr).toContain('PGPASSWORD, ~/.pgpass (or PGPASSFILE), or in the DSN');
  });

  it('status: what could not be read is unknown, and the errors are below the table', async () => {
    const dir = tempDir('status-layout');
    const gone = { ...n1, port: 1, password: 'unused' } as Cluster; // nothing listens on port 1
    const nodeDown = writePlan(dir, { name: 'node-down', source, nodes: [gone], db: 'postgres' });
    const r = await runCli(['status', nodeDown.file], { cwd: dir, env: nodeDown.env });
    expect(r.code).toBe(1);
    const [header, , row, ...rest] = r.stdout.split('\n').slice(2);
    expect(header).toMatch(/^node\s+subscription\s+enabled/);
    expect(row).toMatch(/^n1\s+node_down_sub1 \(unknown\)\s+unknown\s+unknown\s+unknown\s+unknown\s/);
    expect(row.length).toBeLessThan(120);
    expect(rest.join('\n')).toMatch(/\nerror: n1: cannot connect to node n1 \(127\.0\.0\.1:1\/postgres\)/);

    const sourceDown = writePlan(dir, { name: 'source-down', source: { ...source, port: 1 } as Cluster, nodes: [n1], db: 'postgres' });
    const s = await runCli(['status', sourceDown.file], { cwd: dir, env: sourceDown.env });
    expect(s.code).toBe(1);
    expect(s.stdout).toContain('source_down_slot1 (unknown)');
    expect(s.stdout).not.toContain('source_down_slot1 (missing)');
    expect(s.stdout).toMatch(/\nerror: source: cannot connect to the source/);
  });

  it('cutover and abort ask in a terminal, showing what they will do; --yes, or no terminal, does not ask', async () => {
    const dir = tempDir('confirm');
    const { file, env } = writePlan(dir, { name: 'confirm', source, nodes: [n1], db: 'postgres' });
    const { CI: _ci, GITHUB_ACTIONS: _gh, ...noCi } = process.env;
    // `script` gives the command a terminal; the answer comes through it.
    const inTerminal = (args: string[], answer: string) =>
      execa('script', ['-qec', [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { input: answer, env: { ...noCi, ...env }, extendEnv: false, reject: false, timeout: 60_000 });
    const cutover = await inTerminal(['cutover', file], 'n\n');
    expect(cutover.stdout).toContain(`migrate cutover ${file} will:`);
    expect(cutover.stdout).toMatch(/freeze writes on the source: postgres closed to new connections and read-only, every other session of it ended/);
    expect(cutover.stdout).toContain('Cut over now? [y/N]');
    expect(cutover.stdout).toContain('Not cut over: nothing was changed.');
    expect(cutover.exitCode).toBe(1);
    const abort = await inTerminal(['abort', file], 'n\n');
    expect(abort.stdout).toContain('subscription confirm_sub1 on n1, slot confirm_slot1 and publication confirm_pub1 on the source');
    expect(abort.stdout).toContain('Not aborted: nothing was changed.');
    expect(abort.exitCode).toBe(1);
    const yes = await inTerminal(['abort', file, '--yes'], '');
    expect(yes.stdout).not.toContain('[y/N]');
    expect(yes.exitCode, yes.stdout).toBe(0);
    const piped = await runCli(['abort', file], { cwd: dir, env });
    expect(piped.stdout).not.toContain('[y/N]');
    expect(piped.code).toBe(0);
  });

  it('the report shows a hook that failed with continue_on_error as "failed, continued", and lists the SQL hooks and sequence values set', async () => {
    const name = 'report-lists';
    const db = 'report_lists';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir(name);
    const extra = ['cutover:', '  max_lag_bytes: 1048576', 'hooks:', '  - name: flaky', '    after: catch-up', '    run: exit 3', '    continue_on_error: true', '  - name: stamp', '    after: catch-up', '    sql: CREATE TABLE public.migrated_at AS SELECT now() AS at', '    on: n1'].join('\n');
    const { file, env } = writePlan(dir, { name, source, nodes: [n1], db, extra });
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const a = lastReport(dir, name, 'apply');
    expect(a.json.tasks.find((t: { id: string }) => t.id === 'hook:1').status).toBe('failed-continued');
    expect(a.md).toMatch(/\| `hook:1` \| failed, continued \|/);
    expect(a.md).toContain('- `hook:2`: `SQL on n1: CREATE TABLE public.migrated_at AS SELECT now() AS at`');
    expect(a.md).toMatch(/- `publication:n1`: `SQL on source: CREATE PUBLICATION/);

    const cutover = await runCli(['cutover', file], { cwd: dir, env });
    expect(cutover.code, cutover.stdout + cutover.stderr).toBe(0);
    const c = lastReport(dir, name, 'cutover');
    expect(c.md).toMatch(/- `sequences:n1`: `SQL on n1: SELECT setval\('shop\.orders_id_seq'::regclass, \d+, true\)`/);
    expect(c.md).toMatch(/- `ready`: `SQL on n1: ALTER SUBSCRIPTION report_lists_sub1 SET \(synchronous_commit = 'on'\);`/);
  }, 90_000);
});
