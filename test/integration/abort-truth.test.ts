// What abort and status say must be what the databases show: after the switch
// abort touches no node's data and keeps the journal; a frozen source is
// reported from the live catalogs, whatever state directory is used; the
// printed way to unfreeze works as typed; and an unreadable journal does not
// stop abort from removing what the migration created.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { compareClusters, userTables, PG_BIN, type Cluster } from '../harness/index.js';
import { clustersForFile, runCli } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));
const setUp = (name: string, extra = '') => migration(name, { extra });

async function sourceReadOnly(db: string): Promise<boolean> {
  const rows = await source.query<{ setconfig: string[] }>(
    "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = $1)",
    [db],
  );
  return rows.some((r) => r.setconfig.includes('default_transaction_read_only=on'));
}

async function leftovers(db: string, tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const r of await source.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1', [`${tag}%`])) found.push(`slot ${r.slot_name}`);
  for (const r of await source.query<{ pubname: string }>('SELECT pubname FROM pg_publication', [], db)) found.push(`publication ${r.pubname}`);
  for (const n of [n1, n2]) for (const r of await n.query<{ subname: string }>('SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [], db)) found.push(`subscription ${r.subname} on ${n.name}`);
  return found;
}

/** Runs a statement as a DBA would type it: psql connected to the (frozen) database itself, or another. */
function psqlAsTyped(db: string, sql: string): string {
  return execFileSync(join(PG_BIN, 'psql'), ['-X', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(source.port), '-U', 'postgres', '-d', db], {
    input: sql + '\n',
    env: { ...process.env, PGPASSWORD: source.password },
    encoding: 'utf8',
  });
}

const UNFREEZE = /BEGIN READ WRITE; ALTER DATABASE (\S+) WITH ALLOW_CONNECTIONS true; ALTER DATABASE \1 RESET default_transaction_read_only; COMMIT;/;

describe('abort after a completed cutover', () => {
  it('refuses --drop-data and touches no node, keeps the journal, says the source is read-only, and says so again when run twice', async () => {
    const { db, dir, file, env } = await setUp('at-switched');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const cut = await runCli(['cutover', file], { cwd: dir, env });
    expect(cut.code, cut.stdout + cut.stderr).toBe(0);
    const tables = await userTables(source, db);

    const drop = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(drop.code, drop.stdout + drop.stderr).toBe(1);
    expect(drop.stderr).toMatch(/refus.*--drop-data/);
    expect(drop.stderr).toMatch(/switched to the nodes at 20/);
    expect(drop.stdout + drop.stderr).not.toContain('as it was before apply');
    expect(await userTables(n1, db)).toEqual(tables);
    expect((await compareClusters([source, n1, n2], db, tables)).filter((t) => !t.equal)).toEqual([]);

    for (const attempt of [1, 2]) {
      const r = await runCli(['abort', file], { cwd: dir, env });
      expect(r.code, `${attempt}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout + r.stderr).not.toContain('as it was before apply');
      expect(r.stderr).toMatch(/switched to the nodes at 20/);
      expect(r.stderr).toMatch(/source database at_switched is read-only/);
      expect(r.stderr).toMatch(UNFREEZE);
      expect(existsSync(join(dir, '.migrate', 'at-switched', 'journal.json'))).toBe(true);
    }
    expect(await sourceReadOnly(db)).toBe(true);
    const again = await runCli(['cutover', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing to do');

    // With the journal lost as well, a frozen source that abort cannot account for keeps the nodes' data safe.
    const journal = join(dir, '.migrate', 'at-switched', 'journal.json');
    writeFileSync(journal, readFileSync(journal, 'utf8').slice(0, 100));
    const blind = await runCli(['abort', file, '--drop-data'], { cwd: dir, env });
    expect(blind.code, blind.stdout + blind.stderr).toBe(1);
    expect(blind.stderr).toMatch(/restored objects on the nodes: not dropped, because the source is still read-only/);
    expect(await userTables(n1, db)).toEqual(tables);
    expect(await sourceReadOnly(db)).toBe(true);

    // The instruction as printed, typed into a session of the frozen database itself.
    psqlAsTyped(db, blind.stderr.match(UNFREEZE)![0]);
    expect(await sourceReadOnly(db)).toBe(false);
  });
});

describe('a source frozen by a cutover that was stopped outright', () => {
  it('is reported by status and abort from another state directory; the printed unfreeze works as typed in the frozen database', async () => {
    const { db, dir, file, env } = await setUp('at-frozen', 'hooks:\n  - after: freeze\n    run: test -e killed || { touch killed; kill -9 $PPID; }');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const killed = await runCli(['cutover', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await sourceReadOnly(db)).toBe(true);
    const other = join(dir, 'elsewhere');

    const status = await runCli(['status', file, '--state-dir', other], { cwd: dir, env });
    expect(status.code, status.stdout).toBe(1);
    expect(status.stdout).toMatch(/source database at_frozen (is read-only|takes no connection)/);
    expect(status.stdout).toMatch(UNFREEZE);
    // Whose migration this is shows only while the database takes connections (its publications' marks): the freeze closed it.
    const json = JSON.parse((await runCli(['status', file, '--state-dir', other, '--json'], { cwd: dir, env })).stdout);
    expect(json.source_read_only).toBe(true);
    expect(json.healthy).toBe(false);

    const abort = await runCli(['abort', file, '--state-dir', other], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(1);
    expect(abort.stdout + abort.stderr).not.toContain('as it was before apply');
    expect(abort.stderr).toMatch(/source database at_frozen (is read-only|takes no connection)/);
    expect(abort.stderr).toContain(join(dir, '.migrate', 'at-frozen')); // the run whose objects these are

    // The cutover's freeze closed the database to connections too: it is seen from the server's postgres database.
    await source.exec(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    const closed = await runCli(['status', file, '--state-dir', other], { cwd: dir, env });
    expect(closed.code, closed.stdout).toBe(1);
    expect(closed.stdout).toMatch(/source database at_frozen takes no connection/);
    // The instruction as printed, typed from another database of the server, opens and unfreezes it.
    psqlAsTyped('postgres', closed.stdout.match(UNFREEZE)![0]);
    expect(await sourceReadOnly(db)).toBe(false);
    expect((await source.query<{ datallowconn: boolean }>('SELECT datallowconn FROM pg_database WHERE datname = $1', [db]))[0].datallowconn).toBe(true);
    expect((await leftovers(db, 'at_frozen')).length).toBe(6); // another run's: abort did not touch them

    // The runbook gives the same instruction.
    const runbook = await runCli(['runbook', file], { cwd: dir, env });
    expect(runbook.stdout).toMatch(UNFREEZE);

    const own = await runCli(['abort', file], { cwd: dir, env });
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(own.stdout).toContain('the source is as it was before apply');
    expect(await leftovers(db, 'at_frozen')).toEqual([]);
  });
});

describe('an unreadable journal', () => {
  it('does not stop status or abort: abort removes what the plan created, from the live catalogs', async () => {
    const { db, dir, file, env } = await setUp('at-broken');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const journal = join(dir, '.migrate', 'at-broken', 'journal.json');
    const text = readFileSync(journal, 'utf8');
    writeFileSync(journal, text.slice(0, text.length / 2)); // what a short write renamed into place used to leave

    const status = await runCli(['status', file], { cwd: dir, env });
    expect(status.stdout + status.stderr).toMatch(/journal .* unreadable/);
    expect(status.stdout).toContain('at_broken_sub1');

    const abort = await runCli(['abort', file], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(abort.stderr).toMatch(/journal .* unreadable.*live catalogs/s);
    expect(abort.stdout).toContain('removed slot at_broken_slot1');
    expect(await leftovers(db, 'at_broken')).toEqual([]);
  });

  it('lost while a cutover had writes frozen and the database closed: abort leaves it frozen and says how to open it; then removes everything', async () => {
    const { db, dir, file, env } = await setUp('at-lost', 'hooks:\n  - after: freeze\n    run: test -e killed || { touch killed; kill -9 $PPID; }');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);
    const killed = await runCli(['cutover', file], { cwd: dir, env });
    expect(killed.signal ?? killed.code).toBe('SIGKILL');
    expect(await sourceReadOnly(db)).toBe(true);
    writeFileSync(join(dir, '.migrate', 'at-lost', 'journal.json'), '{"version": 1, "plan": "at-lo');

    // The freeze closed the database: without the journal, and without its publications' marks (unreadable
    // while it takes no connection), abort cannot tell whether a switch was started: it leaves it frozen and says how.
    const abort = await runCli(['abort', file], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(1);
    expect(abort.stderr).toMatch(/source database at_lost takes no connection/);
    expect(await sourceReadOnly(db)).toBe(true);
    psqlAsTyped('postgres', abort.stderr.match(UNFREEZE)![0]);
    const again = await runCli(['abort', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('the source is as it was before apply');
    expect(await sourceReadOnly(db)).toBe(false);
    expect(await leftovers(db, 'at_lost')).toEqual([]);
  });
});
