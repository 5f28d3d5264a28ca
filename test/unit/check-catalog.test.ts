// The catalog of checks: the directory src/check/rules/ is the list, the
// generated index and the README's list follow it (`npm run gen:checks`), and
// the CLI describes every rule with --list and --explain.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain ES module script without type declarations
import { INDEX, RULES_DIR, currentRegion, indexSource } from '../../scripts/gen-check-rules.mjs';
import { RULES, checkSkipNames } from '../../src/check/registry.js';
import { explainRule, formatRuleList, ruleListMarkdown } from '../../src/check/catalog.js';
import { checkCommand } from '../../src/cli/check.js';
import { UsageError } from '../../src/errors.js';
import { ROOT } from './support.js';

const ruleFiles = readdirSync(join(ROOT, RULES_DIR)).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

describe('the rules directory', () => {
  it(`${INDEX} lists every file of the directory: run \`npm run gen:checks\` after adding or removing a rule`, () => {
    expect(readFileSync(join(ROOT, INDEX), 'utf8')).toBe(indexSource());
  });

  it('each file is one rule, named after its id, of the target its id begins with', () => {
    expect(RULES.map((r) => `${r.id}.ts`).sort()).toEqual([...ruleFiles].sort());
    for (const r of RULES) {
      expect(r.id.startsWith(`${r.target === 'tools' ? 'tools' : r.target}.`), r.id).toBe(true);
      expect(r.title.length, r.id).toBeGreaterThan(10);
      expect(r.title, r.id).not.toContain('\n');
      expect(r.docs.why.length, r.id).toBeGreaterThan(30);
      expect(r.docs.fix.length, r.id).toBeGreaterThan(10);
    }
  });

  it('every rule has unit tests on fact objects (a describe named after its id)', () => {
    const tests = readdirSync(join(ROOT, 'test', 'unit', 'check-rules'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(ROOT, 'test', 'unit', 'check-rules', f), 'utf8'))
      .join('\n');
    expect(RULES.filter((r) => !tests.includes(`describe('${r.id}'`)).map((r) => r.id)).toEqual([]);
  });
});

describe("the README's list of checks", () => {
  it('is generated from the rules: run `npm run gen:checks` after changing one', () => {
    expect(currentRegion(readFileSync(join(ROOT, 'README.md'), 'utf8'))).toBe(ruleListMarkdown());
  });

  it('has a row per rule', () => {
    const rows = ruleListMarkdown().split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(RULES.length);
    expect(rows).toContain("| `source.wal_level` | source | error | wal_level is logical |");
  });
});

describe('migrate check --list and --explain', () => {
  const call = async (file: string | undefined, opts: Parameters<typeof checkCommand>[1]) => {
    let out = '';
    const code = await checkCommand(file, opts, (s) => void (out += s), () => undefined);
    return { code, out };
  };

  it('--list prints every rule with its id, target, severity and title, and needs no plan', async () => {
    const { code, out } = await call(undefined, { list: true });
    expect(code).toBe(0);
    expect(out).toBe(formatRuleList());
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^CHECK +TARGET +SEVERITY +TITLE$/);
    expect(lines).toContainEqual(expect.stringMatching(/^source\.replica_identity +source +error +every published table has a primary key or a usable replica identity$/));
    expect(lines).toContainEqual(expect.stringMatching(/^node\.reaches_source +node +error +/));
    expect(lines).toContainEqual(expect.stringMatching(/^tools\.vacuumdb +tools +warning +/));
    expect(out).toContain(`${RULES.length} checks.`);
  });

  it('--explain ID prints why the check matters and the fix', async () => {
    const { code, out } = await call(undefined, { explain: 'source.unlogged_tables' });
    expect(code).toBe(0);
    expect(out).toBe(explainRule('source.unlogged_tables'));
    expect(out).toMatch(/^source\.unlogged_tables: no published table is unlogged\nChecks the source; its worst finding is an error\.\n\nWhy: Unlogged tables write no WAL/);
    expect(out).toContain('\n\nFix: ALTER TABLE ... SET LOGGED;');
  });

  it('an unknown id is a usage error (exit 2) with the nearest name', async () => {
    await expect(call(undefined, { explain: 'source.wal_levl' })).rejects.toBeInstanceOf(UsageError);
    await expect(call(undefined, { explain: 'source.wal_levl' })).rejects.toThrow('--explain source.wal_levl: no check has that name (did you mean source.wal_level?)');
    await expect(call(undefined, { explain: 'nothing.like.it' })).rejects.toThrow('no check has that name');
    expect(() => checkSkipNames(['node.extension'])).toThrow('--skip-check node.extension: no check has that name (did you mean node.extensions?)');
    expect(() => checkSkipNames(RULES.map((r) => r.id))).not.toThrow();
  });

  it('without a plan, and without --list or --explain, is a usage error', async () => {
    await expect(call(undefined, {})).rejects.toThrow(UsageError);
  });
});
