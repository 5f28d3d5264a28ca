// Cross-field rules beyond the invalid corpus: warnings, and when rules run
// next to schema errors.
import { describe, it, expect } from 'vitest';
import { validatePlanText } from '../../src/plan/load.js';
import { MINIMAL_PLAN } from './support.js';

const ENV = { HOST: 'db.example.com', PW: 'from-the-env' };
const problemsOf = (text: string) => validatePlanText(text, 'plan.yaml', ENV).problems.map((p) => `${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
const withSourceDsn = (dsn: string) => MINIMAL_PLAN.replace('dsn: host=source.example.com dbname=app', `dsn: ${dsn}`);

describe('a password written in the plan file', () => {
  it.each([
    ['host=${HOST} password=literal', true],
    ["'host=h password=''two words'''", true],
    ['postgresql://u:literal@${HOST}/app', true],
    ['postgresql://h/app?password=literal', true],
    ['host=h password=$$x', true],
    ['host=${HOST} password=${PW}', false],
    ['postgresql://u:${PW}@${HOST}/app', false],
    ['host=h dbname=app', false],
  ])('%s: warned %s', (dsn, warned) => {
    const problems = problemsOf(withSourceDsn(dsn));
    expect(problems).toEqual(warned ? ['4:8: warning: source.dsn: a password is written in the plan file; use ${ENV_VAR}, ~/.pgpass or PGPASSWORD so it never reaches git'] : []);
  });

  it('is a warning: the plan is still valid', () => {
    expect(validatePlanText(withSourceDsn('host=h password=literal'), 'plan.yaml', ENV).plan).toBeDefined();
  });

  it('the warning never repeats the password', () => {
    for (const p of problemsOf(withSourceDsn('host=h password=literal'))) expect(p).not.toContain('literal');
  });
});

describe('rules next to schema errors', () => {
  it('run when the schema errors are in sections the rules do not read', () => {
    const text = MINIMAL_PLAN.replace('slot: slot_1', 'slot: Slot_1') + 'dump:\n  jobs: 0\nunknown_section: 1\n';
    expect(problemsOf(text)).toEqual([
      '11:11: replication[0].slot: "Slot_1" is not a valid slot name: PostgreSQL allows only lower case letters, digits and underscores',
      '14:9: dump.jobs: must be >= 1',
      '15:1: the plan: unknown property "unknown_section" (expected one of: version, name, state_dir, source, nodes, replication, publish, dump, copy, restore, tools, catch_up, cutover, compare, hooks, rollback, ddl)',
    ]);
  });

  it('run beside schema errors about values (unknown keys, enums, ranges) anywhere, and say nothing more about those values', () => {
    const text = MINIMAL_PLAN.replace('slot: slot_1', 'slot: Slot_1').replace('  - node: n1\n', '  - node: n2\n    nod: n1\n') + 'cutover:\n  freeze: frozen\n';
    expect(problemsOf(text)).toEqual([
      '6:11: nodes[0]: node "n1" has no replication entry, so it would never receive changes',
      '9:11: replication[0].node: no node named "n2" (did you mean "n1"?)',
      '10:5: replication[0]: unknown property "nod" (did you mean "node"?)',
      '12:11: replication[0].slot: "Slot_1" is not a valid slot name: PostgreSQL allows only lower case letters, digits and underscores',
      '15:11: cutover.freeze: must be one of "builtin", "hook", "both"',
    ]);
  });

  it('a misspelt connection keyword is caught, with the keyword meant', () => {
    const text = MINIMAL_PLAN.replace('dsn: host=n1.example.com dbname=app', 'dsn: host=n1.example.com dbnmae=app');
    expect(problemsOf(text)).toEqual(['7:10: nodes[0].dsn: unknown connection keyword "dbnmae" (did you mean "dbname"?); libpq would refuse to connect']);
    expect(problemsOf(MINIMAL_PLAN.replace('dsn: host=source.example.com dbname=app', 'dsn: postgresql://u@h/app?ssl=true&sslmode=require'))).toEqual([]);
  });

  it('do not run when the schema rejected what they read, so there is no noise', () => {
    const text = MINIMAL_PLAN.replace('slot: slot_1', 'slot: Slot_1').replace('    subscription: sub_1\n', '    subscription: 42\n');
    expect(problemsOf(text)).toEqual(['12:19: replication[0].subscription: must be a string']);
  });
});

describe('hook and action targets', () => {
  it('accept stage names, phase names and task ids of either stage', () => {
    const text = `${MINIMAL_PLAN}hooks:\n  - before: apply\n    run: a\n  - after: cutover\n    run: b\n  - after: drain\n    run: c\n  - before: vacuum:n1\n    sql: SELECT 1\n    on: n1\n`;
    expect(problemsOf(text)).toEqual([]);
  });

  it('say where sql runs: source, nodes, or a node', () => {
    const text = `${MINIMAL_PLAN}cutover:\n  switch_hook:\n    sql: SELECT 1\n    on: nodes\n  freeze: hook\n  freeze_hook:\n    sql: SELECT 1\n    on: n1\n  unfreeze_hook:\n    sql: SELECT 2\n    on: sources\n`;
    expect(problemsOf(text)).toEqual(['23:9: cutover.unfreeze_hook.on: "sources" is not source, nodes, or a node name (did you mean "source"?)']);
  });

  it('a cutover action needs exactly one of run and sql', () => {
    const text = `${MINIMAL_PLAN}cutover:\n  switch_hook:\n    on: nodes\n`;
    expect(problemsOf(text)).toEqual(['14:3: cutover.switch_hook: needs one of run or sql']);
  });
});
