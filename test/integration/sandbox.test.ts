// A newcomer's first run: the README's demo on the built-in sandbox, and the
// package as npm would ship it.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli, tempDir, ROOT } from './support.js';

describe('the sandbox', () => {
  it('runs the whole journey (validate, check, apply, status, verify, cutover), keeps the reports and removes itself', async () => {
    const dir = tempDir('demo');
    const r = await runCli(['sandbox', 'demo'], { cwd: dir, timeoutMs: 180_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const cmd of ['validate', 'check', 'apply', 'status', 'verify', 'cutover']) expect(r.stdout).toContain(`$ migrate ${cmd} `);
    expect(r.stdout).toMatch(/Writes were frozen for \d+ ms/);
    const runs = readdirSync(join(dir, 'demo-reports', 'runs'));
    expect(runs.some((x) => x.endsWith('-apply'))).toBe(true);
    expect(runs.some((x) => x.endsWith('-cutover'))).toBe(true);
    for (const run of runs) expect(JSON.parse(readFileSync(join(dir, 'demo-reports', 'runs', run, 'report.json'), 'utf8')).status).toBe('succeeded');
    expect(existsSync(join(dir, '.sandbox'))).toBe(false);
  });

  it('up and down: a sandbox with an env file for plans/sandbox.yaml, and nothing left after down', async () => {
    const dir = tempDir('updown');
    const up = await runCli(['sandbox', 'up', '--no-load'], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    const env = readFileSync(join(dir, '.sandbox', 'sandbox.env'), 'utf8');
    expect(env).toMatch(/export SANDBOX_SOURCE_PORT=\d+/);
    const vars = Object.fromEntries(env.trim().split('\n').map((l) => l.replace(/^export /, '').split('=')));
    const validate = await runCli(['validate', join(ROOT, 'plans', 'sandbox.yaml')], { cwd: dir, env: vars });
    expect(validate.code, validate.stderr).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, '.sandbox', 'sandbox.json'), 'utf8')) as { clusters: { dataDir: string }[] };
    const down = await runCli(['sandbox', 'down'], { cwd: dir });
    expect(down.code).toBe(0);
    expect(existsSync(join(dir, '.sandbox'))).toBe(false);
    for (const c of state.clusters) expect(existsSync(c.dataDir)).toBe(false);
  });
});

describe('the npm package', () => {
  it('installs from `npm pack` and runs `migrate --help` from another directory, with its schema and templates', async () => {
    const out = tempDir('pack');
    const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    const app = tempDir('install');
    execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(out, tgz)], { cwd: app, stdio: 'ignore', timeout: 180_000 });
    const bin = join(app, 'node_modules', '.bin', 'migrate');
    expect(execFileSync(bin, ['--help'], { cwd: app, encoding: 'utf8' })).toContain('Usage: migrate');
    // The example plan validates from the installed package: schema found, templates rendered.
    const plan = join(app, 'node_modules', 'pgedge-migrate', 'plans', 'aurora-to-pgedge.yaml');
    const env = { ...process.env, SOURCE_DSN: 'host=src dbname=app', N1_DSN: 'host=n1 dbname=app', N2_DSN: 'host=n2 dbname=app', N3_DSN: 'host=n3 dbname=app' };
    expect(execFileSync(bin, ['validate', plan], { cwd: app, encoding: 'utf8', env })).toContain('ok');
    expect(execFileSync(bin, ['runbook', plan], { cwd: app, encoding: 'utf8', env })).toContain('```mermaid');
  });
});
