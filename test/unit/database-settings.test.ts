// The source database's settings as the statements a node's database gets.
import { describe, expect, it } from 'vitest';
import { splitGucList, settingValueSql, hindersMigration, databaseSettingsSql } from '../../src/render/database-settings.js';

describe('database settings', () => {
  it('splits a stored list as PostgreSQL does, double quotes and all', () => {
    expect(splitGucList('app, "$user", public')).toEqual(['app', '$user', 'public']);
    expect(splitGucList('"My Schema","a""b"')).toEqual(['My Schema', 'a"b']);
    expect(splitGucList('""')).toEqual(['']);
    expect(splitGucList('')).toEqual([]);
    expect(splitGucList('"unterminated')).toBeUndefined();
    expect(splitGucList('a b')).toBeUndefined();
  });

  it('gives a list setting one literal per element, any other one literal', () => {
    expect(settingValueSql('search_path', 'app, "$user", public')).toBe("'app', '$user', 'public'");
    expect(settingValueSql('work_mem', '7MB')).toBe("'7MB'");
    expect(settingValueSql('app.note', "it's")).toBe("'it''s'");
  });

  it('renders ALTER DATABASE and ALTER ROLE ... IN DATABASE, names quoted', () => {
    expect(
      databaseSettingsSql('My App', [
        { role: null, name: 'search_path', value: 'app, public' },
        { role: 'Reporting', name: 'app.tenant', value: '7' },
      ]),
    ).toBe(`ALTER DATABASE "My App" SET search_path TO 'app', 'public';\nALTER ROLE "Reporting" IN DATABASE "My App" SET "app.tenant" TO '7';`);
  });

  it('holds back only the read-only settings that would stop the migration', () => {
    const ro = (role: string | null) => ({ role, name: 'default_transaction_read_only', value: 'on' });
    expect(hindersMigration(ro(null), 'migrator')).toBe(true);
    expect(hindersMigration(ro('migrator'), 'migrator')).toBe(true);
    expect(hindersMigration(ro('reporting'), 'migrator')).toBe(false);
    expect(hindersMigration({ role: null, name: 'search_path', value: 'app' }, 'migrator')).toBe(false);
  });
});
