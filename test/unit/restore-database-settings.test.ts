// What abort --drop-data runs to give a node's database back its own settings.
import { describe, it, expect } from 'vitest';
import { describeSettings, restoreDatabaseSettingsSql } from '../../src/render/restore-database-settings.js';

describe('restoreDatabaseSettingsSql', () => {
  it('resets what the node did not have, sets back what it had (a list one literal per element), once each, and nothing else', () => {
    const set = [
      { role: null, name: 'search_path' },
      { role: null, name: 'work_mem' },
      { role: 'app user', name: 'lock_timeout' },
      { role: null, name: 'work_mem' },
    ];
    const before = [
      { role: null, name: 'work_mem', value: '3MB' },
      { role: null, name: 'statement_timeout', value: '9s' },
      { role: 'app user', name: 'search_path', value: 'x' },
    ];
    expect(restoreDatabaseSettingsSql('my db', set, before)).toBe(
      'ALTER DATABASE "my db" RESET search_path;\nALTER DATABASE "my db" SET work_mem TO \'3MB\';\nALTER ROLE "app user" IN DATABASE "my db" RESET lock_timeout;',
    );
    expect(restoreDatabaseSettingsSql('app', [{ role: null, name: 'search_path' }], [{ role: null, name: 'search_path', value: 'app, "$user", public' }])).toBe("ALTER DATABASE app SET search_path TO 'app', '$user', 'public';");
    expect(describeSettings(set)).toBe('search_path, work_mem, lock_timeout for app user');
  });
});
