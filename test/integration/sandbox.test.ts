// A newcomer's first run: the README's demo on the built-in sandbox, and the
// package as npm would ship it.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli, tempDir, ROOT } from './support.js';

describe('the sandbox', () => {
  it('runs the whole journey (validate, check, apply, status, verify, cutover), keeps the reports and removes itself; the package then still ships exactly the example plans', async () => {
    // A copy of the package as it would be packed, so that the demo and a run by hand leave their state in it.
    const dir = tempDir('demo');
    for (const f of ['package.json', 'README.md', 'dist', 'schemas', 'templates', 'plans']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const r = await runCli(['sandbox', 'demo'], { cwd: dir, timeoutMs: 180_000, cli: join(dir, 'dist', 'cli', 'main.js') });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const cmd of ['validate', 'check', 'apply', 'status', 'verify', 'cutover']) expect(r.stdout).toContain(`$ migrate ${cmd} `);
    expect(r.stdout).toMatch(/Writes were frozen for \d+ ms/);
    const runs = readdirSync(join(dir, 'demo-reports', 'runs'));
    expect(runs.some((x) => x.endsWith('-apply'))).toBe(true);
    expect(runs.some((x) => x.endsWith('-cutover'))).toBe(true);
    for (const run of runs) expect(JSON.parse(readFileSync(join(dir, 'demo-reports', 'runs', run, 'report.json'), 'utf8')).status).toBe('succeeded');
    expect(existsSync(join(dir, '.sandbox'))).toBe(false);

    // What `migrate apply plans/sandbox.yaml` by hand leaves beside the plan: its state directory, with a dump.
    const state = join(dir, 'plans', '.migrate', 'sandbox');
    mkdirSync(join(state, 'dump'), { recursive: true });
    mkdirSync(join(state, 'runs', 'x-apply'), { recursive: true });
    for (const f of ['journal.json', 'dump/toc.dat', 'dump/3456.dat.gz', 'runs/x-apply/report.json']) writeFileSync(join(state, f), 'data');
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' })) as { files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path).sort();
    const tracked = execFileSync('git', ['ls-files', 'schemas', 'templates', 'plans'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    expect(files.filter((f) => !f.startsWith('dist/'))).toEqual(['README.md', 'package.json', ...tracked].sort());
    expect(files.filter((f) => f.startsWith('plans/'))).toEqual(['plans/aurora-to-pgedge.yaml', 'plans/sandbox-pgedge.yaml', 'plans/sandbox.yaml']);
    expect(files.filter((f) => f.startsWith('dist/') && !/\.(js|d\.ts)(\.map)?$/.test(f))).toEqual([]);
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
    // --ignore-scripts: `prepare` would rebuild dist/ under the integration files running beside this one, which
    // import it (a half-written module: "does not provide an export named ..."); npm test has built it already.
    const tgz = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
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
