// The guard's SQL as rendered: what each mode installs, and what is removed
// in which order. What the statements do is proven on a real source in
// test/integration/ddl-guard.test.ts.
import { describe, it, expect } from 'vitest';
import { installGuardSql, removeGuardSql, guardMode } from '../../src/render/ddl-guard.js';
import { MINIMAL_PLAN, planFromText } from './support.js';

const plan = (extra = '') => planFromText(`${MINIMAL_PLAN}${extra}`, {});

describe('the DDL guard SQL', () => {
  it('is off unless the plan asks for it', () => {
    expect(guardMode(plan())).toBeUndefined();
    expect(guardMode(plan('ddl:\n  guard: warn\n'))).toBe('warn');
  });

  it('warn records at ddl_command_end and sql_drop and refuses nothing; block adds the refusal at ddl_command_start', () => {
    const warn = installGuardSql(plan(), 'warn');
    expect(warn).toMatch(/^BEGIN;\n/);
    expect(warn).toMatch(/COMMIT;$/);
    expect(warn).toContain('CREATE UNLOGGED TABLE IF NOT EXISTS pgedge_migrate.ddl_log (');
    expect(warn).toContain('CREATE EVENT TRIGGER pgedge_migrate_ddl_guard_end ON ddl_command_end EXECUTE FUNCTION pgedge_migrate.ddl_guard_end();');
    expect(warn).toContain('CREATE EVENT TRIGGER pgedge_migrate_ddl_guard_drop ON sql_drop EXECUTE FUNCTION pgedge_migrate.ddl_guard_drop();');
    expect(warn).not.toContain('ddl_command_start');
    expect(warn).not.toContain('RAISE EXCEPTION');
    const block = installGuardSql(plan(), 'block');
    expect(block).toContain('CREATE EVENT TRIGGER pgedge_migrate_ddl_guard_start ON ddl_command_start EXECUTE FUNCTION pgedge_migrate.ddl_guard_start();');
    expect(block.match(/RAISE EXCEPTION/g)).toHaveLength(3);
    // Installed again, the guard's own statements must not meet its triggers: they go first.
    expect(block.indexOf('DROP EVENT TRIGGER IF EXISTS pgedge_migrate_ddl_guard_end;')).toBeLessThan(block.indexOf('CREATE SCHEMA'));
  });

  it('the refusal has one placeholder, the tag, whatever the plan is called', () => {
    const sql = installGuardSql({ ...plan(), name: 'odd%name' }, 'block');
    const raise = sql.split('\n').find((l) => l.includes('RAISE EXCEPTION'))!;
    const message = /RAISE EXCEPTION '((?:[^']|'')*)'/.exec(raise)![1];
    expect(message.replace(/%%/g, '').match(/%/g)).toHaveLength(1);
    expect(message).toContain('odd%%name');
  });

  it('is removed triggers first, the schema last and without CASCADE, in one transaction', () => {
    const sql = removeGuardSql();
    expect(sql.split('\n').filter((l) => !l.startsWith('--'))).toEqual([
      'BEGIN;',
      'DROP EVENT TRIGGER IF EXISTS pgedge_migrate_ddl_guard_start;',
      'DROP EVENT TRIGGER IF EXISTS pgedge_migrate_ddl_guard_end;',
      'DROP EVENT TRIGGER IF EXISTS pgedge_migrate_ddl_guard_drop;',
      'DROP FUNCTION IF EXISTS pgedge_migrate.ddl_guard_start(), pgedge_migrate.ddl_guard_end(), pgedge_migrate.ddl_guard_drop(), pgedge_migrate.record_ddl(text, text, text, text, text, text, text);',
      'DROP TABLE IF EXISTS pgedge_migrate.ddl_log;',
      'DROP SCHEMA IF EXISTS pgedge_migrate;',
      'COMMIT;',
    ]);
  });
});
