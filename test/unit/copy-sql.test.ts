import { describe, it, expect } from 'vitest';
import { copyInSql, copyOutSql, copiesLargeObjects, listRelationsParams, schemaDumpCommand, sectionRestoreCommand, snapshotTransaction } from '../../src/render/copy-sql.js';
import { CopyProgress } from '../../src/tasks/stream-copy-progress.js';
import { MINIMAL_PLAN, planFromText } from './support.js';

const plan = planFromText(`${MINIMAL_PLAN}copy:\n  method: stream\n`, {});

describe('the SQL of the stream copy', () => {
  it('reads at exactly the anchor snapshot, read-only', () => {
    expect(snapshotTransaction("0000-0003-1")).toEqual(['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', "SET TRANSACTION SNAPSHOT '0000-0003-1'"]);
  });
  it('quotes schema and table apart, and writes frozen rows into a table emptied in the same transaction', () => {
    const t = { schema: 'Shop', name: 'odd.name' };
    expect(copyOutSql(t)).toBe('COPY "Shop"."odd.name" TO STDOUT');
    expect(copyInSql(t)).toEqual({ before: 'BEGIN; TRUNCATE ONLY "Shop"."odd.name"', copy: 'COPY "Shop"."odd.name" FROM STDIN WITH (FREEZE)' });
  });
  it('narrows the tables as the dump does: schemas, or schema and name pairs, and large objects only for the whole database', () => {
    expect(listRelationsParams(plan)).toEqual([null, null, null]);
    expect(copiesLargeObjects(plan)).toBe(true);
    const narrow = planFromText(`${MINIMAL_PLAN}publish:\n  tables: [shop.orders, public.accounts]\n`, {});
    expect(listRelationsParams(narrow)).toEqual([null, ['shop', 'public'], ['orders', 'accounts']]);
    expect(copiesLargeObjects(narrow)).toBe(false);
  });
  it('dumps only the schema at the snapshot, and restores one section per node', () => {
    const dump = schemaDumpCommand(plan, '/tmp/d', 'SNAP');
    expect(dump.argv).toEqual(expect.arrayContaining(['--snapshot=SNAP', '--format=directory', '--section=pre-data', '--section=post-data', '--file=/tmp/d']));
    expect(dump.argv.some((a) => a.startsWith('--jobs'))).toBe(false);
    const node = plan.nodes[0].name;
    expect(sectionRestoreCommand(plan, node, '/tmp/d', 'pre-data').argv).toContain('--section=pre-data');
    expect(sectionRestoreCommand(plan, node, '/tmp/d', 'post-data').argv).toEqual(expect.arrayContaining(['--section=post-data', '--jobs=4', '--exit-on-error']));
  });
});

describe('the stream copy progress', () => {
  it('shows tables, bytes, rows, a rate, and a time left only while tables remain', () => {
    const lines: string[] = [];
    const p = new CopyProgress(2, 2000, (l) => lines.push(l));
    p.chunk(900);
    p.tableDone('public.a', 1000, { rows: 10, bytes: 900, ms: 5 });
    expect(lines).toContain('public.a: 10 rows, 900 B in 0.0 s');
    expect(lines[lines.length - 1]).toMatch(/^1\/2 tables, 900 B, 10 rows, .*\/s/);
    p.tableDone('public.b', 1000, { rows: 5, bytes: 0, ms: 5 });
    expect(p.line()).not.toContain('left');
    expect(p.totals()).toMatchObject({ tables: 2, rows: 15 });
  });
});
