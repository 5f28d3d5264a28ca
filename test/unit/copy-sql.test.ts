import { describe, it, expect } from 'vitest';
import { copyInSql, copyOutSql, copiesLargeObjects, ctidCondition, listRelationsParams, schemaDumpCommand, sectionRestoreCommand, snapshotTransaction, splitTablesTruncateSql } from '../../src/render/copy-sql.js';
import { pageRanges } from '../../src/render/copy-ranges.js';
import { CopyProgress } from '../../src/tasks/stream-copy-progress.js';
import { MINIMAL_PLAN, planFromText } from './support.js';

const plan = planFromText(`${MINIMAL_PLAN}copy:\n  method: stream\n`, {});

describe('the SQL of the stream copy', () => {
  it('reads at exactly the anchor snapshot, read-only', () => {
    expect(snapshotTransaction("0000-0003-1")).toEqual(['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', "SET TRANSACTION SNAPSHOT '0000-0003-1'"]);
  });
  it('quotes schema and table apart, and writes frozen rows into a table emptied in the same transaction', () => {
    const t = { schema: 'Shop', name: 'odd.name', columns: ['id', 'Note'], binary: false };
    expect(copyOutSql(t)).toBe('COPY "Shop"."odd.name" TO STDOUT');
    expect(copyInSql(t)).toEqual({ before: 'BEGIN; TRUNCATE ONLY "Shop"."odd.name"', copy: 'COPY "Shop"."odd.name" FROM STDIN WITH (FREEZE)' });
    expect(copyOutSql({ ...t, binary: true })).toBe('COPY "Shop"."odd.name" TO STDOUT (FORMAT binary)');
    expect(copyInSql({ ...t, binary: true }).copy).toBe('COPY "Shop"."odd.name" FROM STDIN WITH (FORMAT binary, FREEZE)');
  });
  it('reads a range of a table with a TID range scan of that table only, its copied columns named on both sides, and writes it without FREEZE', () => {
    const t = { schema: 'Shop', name: 'odd.name', columns: ['id', 'Note'], binary: true, range: { from: 100, to: 200 } };
    expect(copyOutSql(t)).toBe(`COPY (SELECT id, "Note" FROM ONLY "Shop"."odd.name" WHERE ctid >= '(100,0)'::tid AND ctid < '(200,0)'::tid) TO STDOUT (FORMAT binary)`);
    expect(copyInSql(t)).toEqual({ before: 'BEGIN', copy: 'COPY "Shop"."odd.name" (id, "Note") FROM STDIN (FORMAT binary)' });
    expect(ctidCondition({ from: null, to: 7 })).toBe("ctid < '(7,0)'::tid");
    expect(ctidCondition({ from: 7, to: null })).toBe("ctid >= '(7,0)'::tid");
    expect(splitTablesTruncateSql([t, { schema: 'public', name: 'b' }])).toBe('TRUNCATE ONLY "Shop"."odd.name", public.b');
  });
  it('splits a table above the threshold into a multiple of the jobs, the first and last ranges open-ended, every page in exactly one range', () => {
    const MB = 1024 * 1024;
    expect(pageRanges(1000, 100 * MB, 128, 4)).toEqual([]);
    expect(pageRanges(1000, 200 * MB, 0, 4)).toEqual([]);
    expect(pageRanges(1000, 200 * MB, 128, 1)).toEqual([]);
    expect(pageRanges(1000, 200 * MB, 128, 2)).toEqual([{ from: null, to: 500 }, { from: 500, to: null }]);
    // 600 MB, 4 jobs, 128 MB at most: 8 ranges of 75 MB.
    const r = pageRanges(1001, 600 * MB, 128, 4);
    expect(r).toHaveLength(8);
    expect(r[0].from).toBeNull();
    expect(r[7].to).toBeNull();
    for (let i = 1; i < r.length; i++) expect(r[i].from).toBe(r[i - 1].to);
    // Fewer pages than ranges: one page each, never an empty range.
    expect(pageRanges(3, 600 * MB, 128, 4)).toEqual([{ from: null, to: 1 }, { from: 1, to: 2 }, { from: 2, to: null }]);
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
    p.copying('public.b 4.0 kB, 3 of ~5 rows');
    expect(p.line()).toMatch(/^1\/2 tables, .*; copying: public\.b 4\.0 kB, 3 of ~5 rows$/);
    p.copying('');
    expect(p.line()).not.toContain('copying');
    p.tableDone('public.b', 1000, { rows: 5, bytes: 0, ms: 5 });
    expect(p.line()).not.toContain('left');
    expect(p.totals()).toMatchObject({ tables: 2, rows: 15 });
  });
});
