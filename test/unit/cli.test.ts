// The built CLI, as a user runs it: exit codes, GCC-style problems, no stack
// traces, no passwords. Builds dist/ first when it is missing or older than src/.
import { describe, it, expect } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_PLAN, FIXTURES, PASSWORDS, ROOT, TEST_ENV } from './support.js';

const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

const ENV: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...TEST_ENV };

function migrate(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

/** The same, without waiting: many runs at once. */
function migrateAsync(...args: string[]): Promise<{ args: string[]; code: number; stdout: string; stderr: string; all: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ args, code, stdout, stderr, all: stdout + stderr });
    });
  });
}

function expectNoPassword(text: string): void {
  for (const p of PASSWORDS) expect(text).not.toContain(p);
}

const EXAMPLE = 'plans/aurora-to-pgedge.yaml';

describe('migrate validate', () => {
  it('a valid plan: exit 0, and a short confirmation', () => {
    const r = migrate('validate', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${EXAMPLE}: ok (3 nodes, 3 replication sets)\n`);
  });

  it('an invalid plan: exit 2, every problem as FILE:LINE:COL: message, no stack trace', () => {
    const file = 'test/fixtures/plans/invalid/schema-and-rule-problems-together.yaml';
    const r = migrate('validate', file);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      `${file}:14:11: replication[0].slot: "Slot-1" is not a valid slot name: PostgreSQL allows only lower case letters, digits and underscores`,
      `${file}:17:9: dump.jobs: must be an integer`,
      `${file}:19:3: restore: unknown property "no_ownr" (did you mean "no_owner"?)`,
    ]);
    expect(lines.at(-1)).toBe('3 errors; nothing was changed.');
    expect(r.all).not.toContain('    at ');
  });

  // One plan of the corpus per stage of validation that can fail (YAML, environment,
  // shape, schema, rules); invalid-plans.test.ts checks every message in-process.
  const SAMPLE = ['yaml-syntax-unclosed-quote', 'duplicate-key', 'env-missing-variable', 'plan-is-a-list', 'plan-is-empty', 'wrong-type', 'hook-unknown-task', 'bad-dsn'];

  it('exit 2 for plans of the invalid corpus, each line FILE:LINE:COL: message, without a stack trace', async () => {
    const files = SAMPLE.map((f) => join('test', 'fixtures', 'plans', 'invalid', `${f}.yaml`));
    for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
    const runs = await Promise.all(files.map((f) => migrateAsync('validate', f)));
    for (const r of runs) {
      const file = r.args[1];
      expect(r.code, file).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      for (const line of lines.slice(0, -1)) expect(line.startsWith(`${file}:`) && /^[^:]+:\d+:\d+: \S/.test(line), line).toBe(true);
      expect(lines.at(-1), file).toMatch(/^\d+ errors?; nothing was changed\.$/);
      expect(r.all, file).not.toContain('    at ');
      expect(r.stdout, file).toBe('');
    }
  }, 60_000);

  it('a missing file: exit 2 and one line', () => {
    const r = migrate('validate', 'no/such/plan.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('migrate: no/such/plan.yaml: no such plan file\n');
    expect(r.stdout).toBe('');
  });

  it('warnings alone do not fail it, and do not repeat the password they warn about', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-validate-'));
    try {
      const file = join(dir, 'plan.yaml');
      const text = readFileSync(join(FIXTURES, 'valid', 'minimal.yaml'), 'utf8').replace('dsn: host=source.example.com dbname=app', 'dsn: host=source.example.com dbname=app password=Written-Down-4');
      writeFileSync(file, text);
      const r = migrate('validate', file);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/:5:8: warning: source\.dsn: a password is written in the plan file/);
      expect(r.stdout).toContain('ok (1 node, 1 replication set, 1 warning)');
      expect(r.all).not.toContain('Written-Down-4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('usage', () => {
  const commands = (() => {
    const r = migrate('--help');
    const block = r.stdout.slice(r.stdout.indexOf('Commands:'));
    return [...block.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  })();

  it('--help exits 0 and lists the commands', () => {
    const r = migrate('--help');
    expect(r.code).toBe(0);
    expect(commands).toEqual(expect.arrayContaining(['validate', 'plan', 'runbook']));
    expect(r.stdout).toContain('Exit codes: 0 success, 1 a run failed or found problems, 2 invalid plan or usage.');
  });

  it('--help exits 0 for every command', () => {
    for (const c of commands) {
      const r = migrate(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(`Usage: migrate ${c}`);
    }
  });

  it('an unknown command exits 2', () => {
    const r = migrate('frobnicate', EXAMPLE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect(r.all).not.toContain('    at ');
  });

  it('a missing argument exits 2', () => {
    expect(migrate('validate').code).toBe(2);
  });

  it('an unknown option exits 2', () => {
    expect(migrate('plan', EXAMPLE, '--frob').code).toBe(2);
  });
});

describe('migrate plan', () => {
  it('exits 0 and prints the graph with no password', () => {
    const r = migrate('plan', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('== migrate apply: 29 tasks in 11 waves');
    expect(r.stdout).toContain('CONNECTION \'postgresql://migrator:****@source.example.com:5432/app?sslmode=require\'');
    expectNoPassword(r.all);
  });

  it('an invalid plan exits 2', () => {
    expect(migrate('plan', 'test/fixtures/plans/invalid/shared-slot.yaml').code).toBe(2);
  });
});

describe('migrate runbook', () => {
  it('to standard output: exit 0, no password', () => {
    const r = migrate('runbook', EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Runbook: aurora-to-pgedge/);
    expectNoPassword(r.all);
  });

  it('-o FILE writes the file: exit 0, no password in it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-runbook-'));
    try {
      const out = join(dir, 'runbook.md');
      const r = migrate('runbook', EXAMPLE, '-o', out);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      const md = readFileSync(out, 'utf8');
      expect(md).toContain('```mermaid');
      expect(md).toContain('## Rolling back');
      expectNoPassword(md + r.all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unwritable -o FILE exits 2 with one line', () => {
    const r = migrate('runbook', EXAMPLE, '-o', '/nonexistent-dir/runbook.md');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('migrate: cannot write /nonexistent-dir/runbook.md: ENOENT\n');
  });
});

describe('the example', () => {
  it('is the file the tests use', () => {
    expect(join(ROOT, EXAMPLE)).toBe(EXAMPLE_PLAN);
  });
});

describe('migrate check --list and --explain (no plan, no database)', () => {
  it('--list exits 0 with a line per check', () => {
    const r = migrate('check', '--list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHECK +TARGET +SEVERITY +TITLE\n/);
    expect(r.stdout).toMatch(/^source\.wal_level +source +error +wal_level is logical$/m);
    expect(r.stderr).toBe('');
  });

  it('--explain ID exits 0; an unknown ID exits 2 with the nearest name and no stack trace', () => {
    expect(migrate('check', '--explain', 'node.roles')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^node\.roles: /) });
    const r = migrate('check', '--explain', 'node.role');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('migrate: --explain node.role: no check has that name (did you mean node.roles?)');
    expect(r.all).not.toContain('    at ');
  });

  it('check without a plan exits 2', () => {
    expect(migrate('check').code).toBe(2);
  });
});
