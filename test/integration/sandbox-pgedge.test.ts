// The demo against real pgEdge: `migrate sandbox demo --pgedge` starts a stock
// source and three pgEdge nodes from the built stack, meshes them with Spock,
// and runs the whole journey with plans/sandbox-pgedge.yaml.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { havePgedge } from '../harness/pgedge.js';
import { runCli, tempDir } from './support.js';

const ready = havePgedge('the pgEdge sandbox test');

describe.skipIf(!ready)('the pgEdge sandbox', () => {
  it('runs the whole journey onto three Spock nodes with snowflake sequences, keeps the reports and removes itself', async () => {
    const dir = tempDir('demo-pgedge');
    const r = await runCli(['sandbox', 'demo', '--pgedge'], { cwd: dir, timeoutMs: 240_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("n1, n2 and n3 form a Spock mesh (every direction, forward_origins '{}'), snowflake.node 1, 2, 3");
    for (const cmd of ['validate', 'check', 'apply', 'status', 'verify', 'cutover']) expect(r.stdout).toContain(`$ migrate ${cmd} `);
    expect(r.stdout).toContain('Spock, between the nodes:');
    expect(r.stdout).toMatch(/\[sequences:n3\] \d+ sequences set \(snowflake\): .*shop\.orders_id_seq snowflake \(shop\.orders\.id\)/);
    const runs = readdirSync(join(dir, 'demo-reports', 'runs'));
    for (const run of runs) expect(JSON.parse(readFileSync(join(dir, 'demo-reports', 'runs', run, 'report.json'), 'utf8')).status).toBe('succeeded');
    expect(existsSync(join(dir, '.sandbox'))).toBe(false);
  });
});

describe('the pgEdge sandbox without the stack', () => {
  it('refuses before starting anything, saying how to build the stack', async () => {
    const dir = tempDir('no-pgedge');
    const r = await runCli(['sandbox', 'up', '--pgedge'], { cwd: dir, env: { PGEDGE_PREFIX: join(dir, 'none') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the pgEdge stack is not built: ${join(dir, 'none', 'bin', 'postgres')} is missing`);
    expect(r.stderr).toContain('bash ../shared/vendor/pgedge/build.sh');
    expect(existsSync(join(dir, '.sandbox'))).toBe(false);
  });
});
