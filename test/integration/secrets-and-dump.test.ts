// Secrets in hooks, and the dump (a copy of all the data): a hook may use ${VAR} for a secret, yet no output, file
// or other process's command line may ever hold it. The shell gets the value
// from its environment; `plan` and `runbook` show the hook as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, type Cluster } from '../harness/index.js';
import { runCli, tempDir, writePlan, SAMPLE_SCHEMA, type CliResult } from './support.js';

let source: Cluster, n1: Cluster;

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every process's command line, read over and over while `during` runs: the hook's /bin/sh -c among them. */
async function watchCommandLines<T>(secret: string, during: () => Promise<T>): Promise<{ result: T; seen: string[]; shells: string[] }> {
  const seen = new Set<string>();
  const shells = new Set<string>();
  let running = true;
  const watcher = (async () => {
    while (running) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let line: string;
        try {
          line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          continue;
        }
        if (line.includes(secret)) seen.add(line);
        if (line.startsWith('/bin/sh -c') && line.includes('md5sum')) shells.add(line);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    return { result: await during(), seen: [...seen], shells: [...shells] };
  } finally {
    running = false;
    await watcher;
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('secrets in hooks', () => {
  it('a hook gets ${VAR} through its environment: no output, file or command line during a run holds the password', async () => {
    const name = 'hook-secrets';
    const db = 'hook_secrets';
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir(name);
    const extra = [
      'cutover:',
      '  max_lag_bytes: 1048576',
      '  switch_hook:',
      '    run: printf %s "${N1_PASSWORD}" | md5sum > switch-got.txt && sleep 0.5',
      'hooks:',
      '  - name: notify',
      '    after: catch-up',
      // The value reaches the shell, is used, and never becomes a word of any command line.
      '    run: printf %s "${SOURCE_PASSWORD}" | md5sum > hook-got.txt && sleep 0.5',
      '  - name: stamp',
      '    after: catch-up',
      "    sql: SELECT length('${HOOK_TOKEN}') > 0",
    ].join('\n');
    const { file, env } = writePlan(dir, { name, source, nodes: [n1], db, extra, copyMethod: 'dump' });
    const token = 'tok-' + md5(String(Math.random()));
    const allEnv = { ...env, HOOK_TOKEN: token };
    const secrets = [source.password, n1.password, token];

    const outputs: CliResult[] = [];
    const shown = await runCli(['plan', file], { cwd: dir, env: allEnv });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('printf %s "${SOURCE_PASSWORD}" | md5sum > hook-got.txt');
    expect(shown.stdout).toContain("SELECT length('${HOOK_TOKEN}') > 0");
    const runbook = await runCli(['runbook', file, '-o', join(dir, 'runbook.md')], { cwd: dir, env: allEnv });
    expect(runbook.code, runbook.stderr).toBe(0);
    expect(readFileSync(join(dir, 'runbook.md'), 'utf8')).toContain('printf %s "${N1_PASSWORD}" | md5sum > switch-got.txt');
    outputs.push(shown, runbook, await runCli(['validate', file], { cwd: dir, env: allEnv }));

    const dump = join(dir, '.migrate', name, 'dump');
    let dumpMode = 0;
    const { result, seen, shells } = await watchCommandLines(source.password, async () => {
      const apply = await runCli(['apply', file], { cwd: dir, env: allEnv });
      dumpMode = statSync(dump).mode & 0o777;
      const cutover = await runCli(['cutover', file], { cwd: dir, env: allEnv });
      return [apply, cutover];
    });
    for (const r of result) expect(r.code, r.stdout + r.stderr).toBe(0);
    // The dump, a complete copy of the data: only its owner may read it, and it is gone once the cutover is done.
    expect(dumpMode).toBe(0o700);
    expect(result[1].stdout).toContain(`removed the dump directory .migrate/${name}/dump (a complete copy of the source's data)`);
    expect(existsSync(dump)).toBe(false);
    outputs.push(...result);
    // The hook's shell was seen while it ran, holding the reference, not the value.
    expect(shells.some((s) => s.includes('"${SOURCE_PASSWORD}"'))).toBe(true);
    expect(seen).toEqual([]);

    // The hooks did get the values.
    expect(readFileSync(join(dir, 'hook-got.txt'), 'utf8').split(' ')[0]).toBe(md5(source.password));
    expect(readFileSync(join(dir, 'switch-got.txt'), 'utf8').split(' ')[0]).toBe(md5(n1.password));

    for (const secret of secrets) {
      for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(secret);
      for (const f of filesUnder(dir)) expect(readFileSync(f, 'latin1'), f).not.toContain(secret);
    }
  }, 120_000);

  it.each([
    ['dump', "a complete copy of the source's data"],
    ['stream', "the source's schema, no data (copy.method stream)"],
  ])('abort removes the dump directory and says where it was and what it held (copy.method %s)', async (method, held) => {
    const name = `abort-dump-${method}`;
    const db = `abort_dump_${method}`;
    await Promise.all([source, n1].map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA, db);
    const dir = tempDir(name);
    const { file, env } = writePlan(dir, { name, source, nodes: [n1], db, copyMethod: method });
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    expect(existsSync(join(dir, '.migrate', name, 'dump', 'toc.dat'))).toBe(true);
    const r = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`removed the dump directory .migrate/${name}/dump (${held})`);
    expect(existsSync(join(dir, '.migrate', name, 'dump'))).toBe(false);
  }, 90_000);
});
