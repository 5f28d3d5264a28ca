// Large objects against real clusters: the dump carries them as of the
// snapshot, logical replication never does. A cut-off restore is redone and
// abort --drop-data empties the nodes of them too; verify and the cutover's
// check compare them, by oid.
import { describe, expect, it } from 'vitest';
import { PG_BIN, type Cluster } from '../harness/index.js';
import { clustersForFile, killingBinDir, runCli, slotNames, tempDir } from './support.js';

let source: Cluster, n1: Cluster, n2: Cluster;

const migration = clustersForFile(['source', 'n1', 'n2'], (c) => ([source, n1, n2] = c));

const FILLER = `
CREATE TABLE public.filler (id int PRIMARY KEY, v text NOT NULL);
INSERT INTO public.filler SELECT i, md5(i::text) FROM generate_series(1, 300000) i;`;

// Two large objects with fixed oids, one of them spanning several pages.
const LARGE_OBJECTS = `
SELECT lo_from_bytea(424201, 'a small large object');
SELECT lo_from_bytea(424202, convert_to(repeat('0123456789', 1000), 'UTF8'));`;

const setUp = (name: string, extraSql = '', extraPlan = '') => migration(name, { extraSql: extraSql + LARGE_OBJECTS, extra: extraPlan });

async function largeObjects(c: Cluster, db: string): Promise<{ oid: string; hash: string }[]> {
  return c.query("SELECT oid::text, md5(lo_get(oid)) AS hash FROM pg_largeobject_metadata ORDER BY oid", [], db);
}

describe('large objects', () => {
  it('a restore cut off after it restored a large object is redone on resume, and abort --drop-data removes the large objects too', async () => {
    const name = 'lo-kill-restore';
    const dir0 = tempDir(`${name}-bin`);
    const { db, dir, file, env } = await setUp(name, FILLER, `tools:\n  bin_dir: ${killingBinDir(dir0, 'pg_restore', PG_BIN, { untilSql: 'SELECT count(*) > 0 FROM pg_largeobject_metadata' })}`);
    const first = await runCli(['apply', file], { cwd: dir, env });
    expect(first.signal ?? first.code, first.stderr).toBe('SIGKILL');
    // The scenario holds only if the cut-off restore had already created them.
    const left = [...(await largeObjects(n1, db)), ...(await largeObjects(n2, db))];
    expect(left.length, 'the killed restore left no large object: the test did not reproduce the case').toBeGreaterThan(0);

    const second = await runCli(['apply', file], { cwd: dir, env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const expected = await largeObjects(source, db);
    expect(expected.length).toBe(2);
    expect(await largeObjects(n1, db)).toEqual(expected);
    expect(await largeObjects(n2, db)).toEqual(expected);

    const abort = await runCli(['abort', '--drop-data', file], { cwd: dir, env });
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(await largeObjects(n1, db)).toEqual([]);
    expect(await largeObjects(n2, db)).toEqual([]);
    expect(await n1.query("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'", [], db)).toEqual([]);
    // The source keeps its own.
    expect((await largeObjects(source, db)).length).toBe(2);

    // A large object the node has of its own would collide with the restore's: check says so.
    await n1.exec('SELECT lo_from_bytea(424201, \'mine\')', db);
    const check = await runCli(['check', file], { cwd: dir, env });
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/ERROR\s+node\.large_objects\s+n1\s+already holds 1 large object/);
    await n1.exec('SELECT lo_unlink(424201)', db);

    // And a fresh apply onto the emptied nodes works.
    const again = await runCli(['apply', file], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await largeObjects(n2, db)).toEqual(expected);
  });

  it('a large object changed or created on the source after the snapshot: verify and the cutover name it by oid', async () => {
    const name = 'lo-changed';
    const { db, dir, file, env } = await setUp(name);
    const check = await runCli(['check', file], { cwd: dir, env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/WARNING\s+source\.large_objects\s+source\s+2 large objects in pg_largeobject: changes to them after the snapshot are not carried to the nodes/);
    expect(check.stdout).toContain('migrate verify and the cutover compare them by oid');
    expect((await runCli(['apply', file], { cwd: dir, env })).code).toBe(0);

    const clean = await runCli(['verify', file], { cwd: dir, env });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/2 large objects.*equal/);

    await source.exec("SELECT lo_put(424202, 0, '\\x58'::bytea); SELECT lo_from_bytea(424203, 'created after the snapshot');", db);
    const v = await runCli(['verify', file], { cwd: dir, env });
    expect(v.code, v.stdout + v.stderr).toBe(1);
    expect(v.stdout).toContain('424202');
    expect(v.stdout).toContain('424203');
    expect(v.stdout).not.toContain('424201');
    const json = JSON.parse((await runCli(['verify', '--json', '--node', 'n1', file], { cwd: dir, env })).stdout);
    expect(json.equal).toBe(false);
    expect(json.nodes[0].large_objects.differences).toEqual([
      { oid: '424202', problem: 'differs' },
      { oid: '424203', problem: 'missing on node' },
    ]);

    const c = await runCli(['cutover', file], { cwd: dir, env });
    expect(c.code, c.stdout + c.stderr).toBe(1);
    expect(c.stderr).toContain('424202');
    expect(c.stderr).toContain('424203');
    // Called off before the switch: the source is writable again.
    expect((await source.query('SHOW default_transaction_read_only', [], db))[0]).toEqual({ default_transaction_read_only: 'off' });
    expect((await slotNames(source)).filter((s) => s.startsWith('lo_changed'))).toEqual(['lo_changed_slot1', 'lo_changed_slot2']);
  });
});
