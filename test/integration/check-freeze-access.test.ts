// The cutover's freeze closes the source database from another database of
// its server (postgres, else template1), as the plan's source role. `check`
// must say before apply when that role cannot get there, or may not ALTER the
// database, instead of the cutover finding out with the nodes caught up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startClusters, type Cluster } from '../harness/index.js';
import { loadPlan } from '../../src/plan/load.js';
import { runChecks, type Finding } from '../../src/check/run-checks.js';
import { renderSql } from '../../src/render/templates.js';
import pg from 'pg';
import { runCli, tempDir } from './support.js';

let source: Cluster;
let n1: Cluster;
let dir: string;
const PASSWORD = 'frz-secret-pw';

beforeAll(async () => {
  [source, n1] = await startClusters(['source', 'n1']);
  dir = tempDir('freeze-access');
  await source.exec(`CREATE ROLE frz LOGIN REPLICATION PASSWORD '${PASSWORD}'; CREATE ROLE guest LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  // The migrating database belongs to frz: only the connection is in question.
  await Promise.all([source.createDatabase('app'), n1.createDatabase('app')]);
  await source.exec('ALTER DATABASE app OWNER TO frz');
  await source.exec('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)', 'app');
  await source.exec('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC; REVOKE CONNECT ON DATABASE template1 FROM PUBLIC');
  // The sessions of other roles the freeze ends: a concern of the last test only.
  await source.exec('GRANT pg_read_all_stats, pg_signal_backend TO frz, guest');
});

afterAll(async () => {
  await Promise.all([source, n1].filter(Boolean).map((c) => c.stop()));
});

function writePlan(name: string, user: string, extra = ''): { file: string; env: Record<string, string> } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'version: 1',
      `name: ${name}`,
      'source:',
      `  dsn: postgresql://${user}:\${SOURCE_PASSWORD}@127.0.0.1:${source.port}/app`,
      'nodes:',
      '  - name: n1',
      `    dsn: host=127.0.0.1 port=${n1.port} dbname=app user=postgres password=\${N1_PASSWORD}`,
      'replication:',
      '  - node: n1',
      `    publication: ${name}_pub`,
      `    slot: ${name}_slot`,
      `    subscription: ${name}_sub`,
      extra,
    ].join('\n') + '\n',
  );
  return { file, env: { SOURCE_PASSWORD: user === 'postgres' ? source.password : PASSWORD, N1_PASSWORD: n1.password } };
}

async function freezeFindings(name: string, user: string, extra = ''): Promise<Finding[]> {
  const { file, env } = writePlan(name, user, extra);
  const findings = await runChecks(loadPlan(file, { ...process.env, ...env }));
  expect(findings.filter((f) => f.found.startsWith('could not be checked'))).toEqual([]);
  return findings.filter((f) => f.id === 'source.freeze_access');
}

async function prependHba(line: string | undefined): Promise<void> {
  const file = join(source.dataDir, 'pg_hba.conf');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => !l.includes('# added by the test'));
  writeFileSync(file, [...(line ? [`${line}  # added by the test`] : []), ...lines].join('\n'));
  await source.query('SELECT pg_reload_conf()');
  await new Promise((r) => setTimeout(r, 300));
}

describe('check: the source role can reach the source server for the freeze', () => {
  it('CONNECT revoked on postgres and template1 is an error naming both, whose fix grants CONNECT; apply refuses and creates nothing', async () => {
    const found = await freezeFindings('noconnect', 'frz');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', target: 'source' });
    expect(found[0].found).toMatch(/role frz cannot connect to the database postgres or template1/);
    expect(found[0].found).toMatch(/CONNECT privilege/);
    expect(found[0].why).toMatch(/ALLOW_CONNECTIONS false/);
    expect(found[0].fix).toContain('GRANT CONNECT ON DATABASE postgres TO frz;');

    const { file, env } = writePlan('noconnect', 'frz');
    const apply = await runCli(['apply', file], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(1);
    expect(apply.stdout + apply.stderr).toContain('source.freeze_access');
    expect(apply.stdout + apply.stderr).not.toContain(PASSWORD);
    expect(await source.query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'noconnect%'")).toEqual([]);
  });

  it('with CONNECT on template1 only, the freeze goes through template1: nothing to report', async () => {
    await source.exec('GRANT CONNECT ON DATABASE template1 TO frz');
    try {
      expect(await freezeFindings('viatemplate1', 'frz')).toEqual([]);
    } finally {
      await source.exec('REVOKE CONNECT ON DATABASE template1 FROM frz');
    }
  });

  it('a pg_hba.conf that rejects the role on postgres and template1 is an error whose fix is a pg_hba.conf line', async () => {
    await source.exec('GRANT CONNECT ON DATABASE postgres, template1 TO frz');
    await prependHba('host postgres,template1 frz 127.0.0.1/32 reject');
    try {
      const found = await freezeFindings('hba', 'frz');
      expect(found).toHaveLength(1);
      expect(found[0].found).toMatch(/pg_hba\.conf/);
      expect(found[0].fix).toMatch(/^host +postgres +frz +127\.0\.0\.1\/32 +scram-sha-256$/m);
      expect(found[0].fix).toContain('pg_reload_conf()');
    } finally {
      await prependHba(undefined);
      await source.exec('REVOKE CONNECT ON DATABASE postgres, template1 FROM frz');
    }
  });

  it('a role that can connect but does not own the database (nor is a superuser) is an error whose fix gives it the database', async () => {
    await source.exec('GRANT CONNECT ON DATABASE postgres TO guest');
    const found = await freezeFindings('notowner', 'guest');
    expect(found).toHaveLength(1);
    expect(found[0].severity).toBe('error');
    expect(found[0].found).toMatch(/role guest may not ALTER DATABASE app \(its owner is frz,/);
    expect(found[0].fix).toContain('ALTER DATABASE app OWNER TO guest;');
  });

  it('a superuser passes; under freeze: hook the tool closes nothing and nothing is reported', async () => {
    expect(await freezeFindings('superuser', 'postgres')).toEqual([]);
    const hook = 'cutover:\n  freeze: hook\n  freeze_hook:\n    run: "true"\n  unfreeze_hook:\n    run: "true"';
    expect(await freezeFindings('hookonly', 'frz', hook)).toEqual([]);
  });

  it("a role that cannot see other roles' sessions: the freeze's own statement passes over one, which goes on writing; check says so, and the cutover refuses to freeze", async () => {
    await source.exec('REVOKE pg_read_all_stats, pg_signal_backend FROM frz; GRANT CONNECT ON DATABASE postgres TO frz');
    await source.exec('ALTER TABLE t OWNER TO frz; GRANT INSERT ON t TO guest', 'app');
    const guest = new pg.Client({ host: source.host, port: source.port, user: 'guest', password: PASSWORD, database: 'app' });
    guest.on('error', () => undefined);
    await guest.connect();
    const asFrz = new pg.Client({ host: source.host, port: source.port, user: 'frz', password: PASSWORD, database: 'app' });
    await asFrz.connect();
    try {
      const [f] = await freezeFindings('blind', 'frz');
      expect(f.found).toBe("role frz may not see (pg_read_all_stats) or end (pg_signal_backend) other roles' sessions of the source database, and is not a superuser");
      expect(f.fix).toContain('GRANT pg_read_all_stats, pg_signal_backend TO frz;');
      // The freeze's statement that ends the other sessions, as frz: guest's is not even seen.
      const terminate = renderSql('freeze-writes.sql.hbs', { database: 'app', own_pids: [] }).split(/;\s*\n/).slice(1).join(';\n');
      expect((await asFrz.query(terminate)).rows).toEqual([]);
      await guest.query('INSERT INTO t VALUES (2)'); // still there, still writing

      // The cutover asks the same before it freezes, and refuses: nothing frozen.
      const { file, env } = writePlan('blind', 'frz', 'publish:\n  tables: [public.t]\nrestore:\n  no_owner: true\n  no_privileges: true');
      const apply = await runCli(['apply', file, '--skip-check', 'source.freeze_access'], { cwd: dir, env });
      expect(apply.code, apply.stdout + '\n' + apply.stderr).toBe(0);
      const cutover = await runCli(['cutover', file, '--yes'], { cwd: dir, env });
      expect(cutover.code, cutover.stdout + cutover.stderr).toBe(1);
      expect(cutover.stderr).toContain("the role frz may not see (pg_read_all_stats) or end (pg_signal_backend) other roles' sessions on the source");
      expect(cutover.stderr).toContain('Nothing was frozen');
      expect(await source.query("SELECT datallowconn FROM pg_database WHERE datname = 'app'")).toEqual([{ datallowconn: true }]);
      expect(await source.query("SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'app') AND setrole = 0")).toEqual([]);
      await guest.query('INSERT INTO t VALUES (3)');

      // With both, the statement sees guest's session and ends it; check has nothing to say.
      await source.exec('GRANT pg_read_all_stats, pg_signal_backend TO frz');
      expect(await freezeFindings('sighted', 'frz')).toEqual([]);
      expect((await asFrz.query(terminate)).rows).toEqual([{ pid: guest.processID, pg_terminate_backend: true }]);
      expect((await runCli(['abort', file], { cwd: dir, env })).code).toBe(0);
    } finally {
      await guest.end().catch(() => undefined);
      await asFrz.end();
    }
  });
});
