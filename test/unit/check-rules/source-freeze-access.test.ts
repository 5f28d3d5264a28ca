// source.freeze_access on plain facts: which fix for which refusal. The
// refusals themselves are provoked on a real server in
// test/integration/check-freeze-access.test.ts.
import { describe, it, expect } from 'vitest';
import { run, sourceFacts } from './facts.js';
import type { FreezeAccess } from '../../../src/check/facts.js';

const access = (over: Partial<FreezeAccess>) => sourceFacts({ freeze_access: { via: 'postgres', refused: [], owner: 'migrator', may_alter: true, may_see_sessions: true, may_signal: true, client_addr: '10.0.0.5', ...over } });
const noConnect = { code: '42501', message: 'permission denied for database "postgres" (User does not have CONNECT privilege.)' };
const hba = { code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.5", user "migrator", database "postgres", no encryption' };

describe('source.freeze_access', () => {
  it('says nothing when a maintenance database took the session and the role may alter the database, or when not read (freeze: hook)', () => {
    expect(run('source.freeze_access', sourceFacts())).toEqual([]);
    expect(run('source.freeze_access', access({ via: 'template1', refused: [{ database: 'postgres', ...noConnect }] }))).toEqual([]);
    expect(run('source.freeze_access', sourceFacts({ freeze_access: undefined }))).toEqual([]);
  });

  it('no CONNECT privilege: the GRANT on the first database', () => {
    const [f] = run('source.freeze_access', access({ via: undefined, refused: [{ database: 'postgres', ...noConnect }, { database: 'template1', ...noConnect, message: noConnect.message.replace('postgres', 'template1') }] }));
    expect(f.severity).toBe('error');
    expect(f.found).toMatch(/^role migrator cannot connect to the database postgres or template1 of the source's server \(postgres: permission denied .*; template1: permission denied/);
    expect(f.fix).toBe('On the source, as a superuser: GRANT CONNECT ON DATABASE postgres TO migrator;');
  });

  it('pg_hba.conf: a line for the address the source saw (a local line over a socket); a dropped postgres makes it template1', () => {
    const [f] = run('source.freeze_access', access({ via: undefined, refused: [{ database: 'postgres', ...hba }, { database: 'template1', ...hba }] }));
    expect(f.fix).toMatch(/^host +postgres +migrator +10\.0\.0\.5\/32 +scram-sha-256$/m);
    expect(f.fix).toContain('GRANT CONNECT ON DATABASE postgres TO migrator;'); // the RDS way
    const [v6] = run('source.freeze_access', access({ via: undefined, client_addr: '::1', refused: [{ database: 'postgres', ...hba }] }));
    expect(v6.fix).toMatch(/^host +postgres +migrator +::1\/128 +scram-sha-256$/m);
    const [local] = run('source.freeze_access', access({ via: undefined, client_addr: null, refused: [{ database: 'postgres', code: '3D000', message: 'database "postgres" does not exist' }, { database: 'template1', ...hba }] }));
    expect(local.fix).toMatch(/^local +template1 +migrator +scram-sha-256$/m);
  });

  it("a role that may not see or end other roles' sessions is an error whose fix grants what it lacks", () => {
    const [blind] = run('source.freeze_access', access({ may_see_sessions: false, may_signal: false }));
    expect(blind).toMatchObject({ severity: 'error', found: "role migrator may not see (pg_read_all_stats) or end (pg_signal_backend) other roles' sessions of the source database, and is not a superuser" });
    expect(blind.fix).toContain('GRANT pg_read_all_stats, pg_signal_backend TO migrator;');
    expect(blind.why).toContain('keep writing after the freeze');
    expect(run('source.freeze_access', access({ may_signal: false }))[0].fix).toContain('GRANT pg_signal_backend TO migrator;');
  });

  it('not the owner: ALTER DATABASE ... OWNER TO, or membership of the owner', () => {
    const [f] = run('source.freeze_access', access({ may_alter: false, owner: 'app owner' }));
    expect(f.found).toBe('role migrator may not ALTER DATABASE app (its owner is app owner, and migrator is neither that role, a member of it, nor a superuser)');
    expect(f.fix).toContain('ALTER DATABASE app OWNER TO migrator;');
    expect(f.fix).toContain('GRANT "app owner" TO migrator;');
  });
});
