import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatePlanText } from '../../src/plan/load.js';
import { EXAMPLE_PLAN, FIXTURES, ROOT, TEST_ENV } from './support.js';

const valid = readdirSync(join(FIXTURES, 'valid')).filter((f) => f.endsWith('.yaml')).map((f) => join(FIXTURES, 'valid', f));
const shipped = readdirSync(join(ROOT, 'plans')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'plans', f));

/**
 * The test environment, plus a stand-in for every other variable a plan names
 * without a default (a shipped plan may read its own, like the sandbox's ports
 * and passwords).
 */
function envFor(text: string): Record<string, string> {
  const env = { ...TEST_ENV };
  for (const [, name] of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[name] ??= /DSN$/.test(name) ? 'host=localhost dbname=app' : '5432';
  return env;
}

describe('valid plans', () => {
  it.each([...shipped, ...valid].map((f) => [f.slice(ROOT.length), f]))('%s validates with no problem at all', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const { plan, problems } = validatePlanText(text, file, envFor(text));
    expect(problems).toEqual([]);
    expect(plan).toBeDefined();
  });

  it('the example is among them', () => {
    expect(shipped).toContain(EXAMPLE_PLAN);
  });

  it('the example means what it says', () => {
    const { plan } = validatePlanText(readFileSync(EXAMPLE_PLAN, 'utf8'), 'plan.yaml', TEST_ENV);
    expect(plan!.source.dsn).toBe(TEST_ENV.SOURCE_DSN);
    expect(plan!.nodes.map((n) => [n.name, n.dsn, n.kind, n.replication_set])).toEqual([
      ['n1', TEST_ENV.N1_DSN, 'pgedge', 'default'],
      ['n2', TEST_ENV.N2_DSN, 'pgedge', 'default'],
      ['n3', TEST_ENV.N3_DSN, 'pgedge', 'default'],
    ]);
    expect(plan!.replication[2]).toEqual({ node: 'n3', publication: 'pgedge_pub_3', slot: 'pgedge_newrep03', subscription: 'pgedge_sub03' });
    expect(plan!.cutover.sequences.strategy).toBe('snowflake');
    expect(plan!.dump).toEqual({ jobs: 8, directory: './backup' });
    expect(plan!.hooks).toEqual([{ after: 'catch-up', run: './notify.sh "all nodes caught up"', on: 'source', timeout_seconds: 600, continue_on_error: false }]);
  });

  it('every shipped plan starts with the schema modeline', () => {
    for (const f of shipped) expect(readFileSync(f, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/plan.schema.json');
  });
});
