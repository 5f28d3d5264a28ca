// The judgement of what a node's subscription covers against its publication:
// every gap named, with the statements that close it, in the order they run.
import { describe, it, expect } from 'vitest';
import { acceptsValues, judgeCoverage, formatCoverage, type CoverageTarget } from '../../src/verify/coverage-gaps.js';
import type { CoverageFacts, ColumnFact, TableFact } from '../../src/pg/subscription-coverage.js';

const col = (name: string, over: Partial<ColumnFact> = {}): ColumnFact => ({ name, type: 'integer', type_key: ['pg_catalog', 'int4', -1], not_null: false, default: null, fills_itself: false, ...over });
const table = (schema: string, name: string, columns = [col('id', { not_null: true })]): TableFact => ({ schema, name, columns });
const target: CoverageTarget = { node: 'n1', subscription: 'sub1', publication: 'pub1', kind: 'postgres' };

/** One published table, subscribed and ready, the same on both sides; `over` changes the picture. */
function facts(over: Partial<CoverageFacts> = {}): CoverageFacts {
  return {
    subscription_exists: true,
    published: [table('shop', 'orders')],
    subscribed: [{ schema: 'shop', name: 'orders', state: 'r' }],
    node_tables: [{ ...table('shop', 'orders'), has_rows: null }],
    ...over,
  };
}

const late = table('shop', 'late');

describe('judgeCoverage', () => {
  it('a subscription that knows every published table, with the same columns, has no gap', () => {
    const c = judgeCoverage(target, facts());
    expect(c.gaps).toEqual([]);
    expect(c.fix).toEqual([]);
    expect(formatCoverage([c])).toBe('');
  });

  it('a missing subscription is not judged here (status reports it)', () => {
    expect(judgeCoverage(target, facts({ subscription_exists: false, subscribed: [] })).gaps).toEqual([]);
  });

  it('a published table the subscription does not know, empty on the node: REFRESH with copy_data = true', () => {
    const c = judgeCoverage(target, facts({ published: [table('shop', 'orders'), late], node_tables: [{ ...table('shop', 'orders'), has_rows: null }, { ...late, has_rows: false }] }));
    expect(c.gaps).toMatchObject([{ kind: 'not subscribed', table: 'shop.late', column: null }]);
    expect(c.gaps[0].problem).toContain('n1 discards every change to it');
    expect(c.fix.map((f) => f.text)).toEqual(['ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);']);
    expect(c.fix[0].why).toContain('copy_data = false would leave n1 without every row');
  });

  it('the same table with rows on the node: they are stale, so it is emptied first, then copied', () => {
    const c = judgeCoverage(target, facts({ published: [late], subscribed: [], node_tables: [{ ...late, has_rows: true }] }));
    expect(c.gaps[0].problem).toContain('stale');
    expect(c.fix.map((f) => f.text)).toEqual(['TRUNCATE shop.late;', 'ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);']);
    expect(c.fix[0].why).toContain('Without CASCADE');
    expect(c.fix[0].why).toContain('SET LOCAL session_replication_role = replica; DELETE FROM shop.late;');
  });

  it('a published table the node lacks is created as on the source (one name, dot and all), then copied', () => {
    const odd = table('ops.v2', 'b.c');
    const c = judgeCoverage(target, facts({ published: [odd], subscribed: [], node_tables: [] }));
    expect(c.gaps).toMatchObject([{ kind: 'missing on node', schema: 'ops.v2', name: 'b.c', table: '"ops.v2"."b.c"' }]);
    expect(c.fix.map((f) => [f.kind, f.text])).toEqual([
      ['shell', `pg_dump --schema-only --table='"ops.v2"."b.c"' "$SOURCE_DSN" | psql -v ON_ERROR_STOP=1 "$NODE_DSN"`],
      ['sql', 'ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);'],
    ]);
  });

  it('a table still being copied is a gap to wait for, with nothing to run', () => {
    const c = judgeCoverage(target, facts({ subscribed: [{ schema: 'shop', name: 'orders', state: 'd' }] }));
    expect(c.gaps).toMatchObject([{ kind: 'still copying', table: 'shop.orders' }]);
    expect(c.gaps[0].problem).toContain('copying its rows');
    expect(c.fix).toEqual([]);
  });

  it('a table that left the publication: REFRESH with copy_data = false, and why', () => {
    const c = judgeCoverage(target, facts({ subscribed: [{ schema: 'shop', name: 'orders', state: 'r' }, { schema: 'shop', name: 'gone', state: 'r' }] }));
    expect(c.gaps).toMatchObject([{ kind: 'no longer published', table: 'shop.gone' }]);
    expect(c.fix.map((f) => f.text)).toEqual(['ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = false);']);
    expect(c.fix[0].why).toContain('ALTER PUBLICATION ... ADD TABLE');
  });

  it('a column added on the source only is added on the node as on the source, default and all', () => {
    const src = table('shop', 'orders', [col('id', { not_null: true }), col('Note', { type: 'text', type_key: ['pg_catalog', 'text', -1], not_null: true, default: "'none'::text", fills_itself: true })]);
    const c = judgeCoverage(target, facts({ published: [src] }));
    expect(c.gaps).toMatchObject([{ kind: 'column missing on node', table: 'shop.orders', column: 'Note' }]);
    expect(c.fix.map((f) => f.text)).toEqual([`ALTER TABLE shop.orders ADD COLUMN "Note" text DEFAULT 'none'::text NOT NULL;`]);
    expect(formatCoverage([c])).toContain('shop.orders column "Note": on the source (text), not on n1');
  });

  it('column fixes come before the copy: the copy needs the columns', () => {
    const src = table('shop', 'late', [col('id'), col('v', { type: 'text', type_key: ['pg_catalog', 'text', -1] })]);
    const c = judgeCoverage(target, facts({ published: [src], subscribed: [], node_tables: [{ ...table('shop', 'late', [col('id')]), has_rows: true }] }));
    expect(c.fix.map((f) => f.text)).toEqual(['ALTER TABLE shop.late ADD COLUMN v text;', 'TRUNCATE shop.late;', 'ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);']);
  });

  it('a column of another type on the node is named with both types', () => {
    const c = judgeCoverage(target, facts({ node_tables: [{ ...table('shop', 'orders', [col('id', { type: 'text', type_key: ['pg_catalog', 'text', -1] })]), has_rows: null }] }));
    expect(c.gaps).toMatchObject([{ kind: 'column type differs', column: 'id' }]);
    expect(c.gaps[0].problem).toContain('integer on the source, text on n1');
    expect(c.fix[0].text).toBe('ALTER TABLE shop.orders ALTER COLUMN id TYPE integer USING id::integer;');
  });

  it('a column only the node has is drift; the schemas must match, and a NOT NULL one without a default also fails every insert', () => {
    const withExtra = (extra: ColumnFact) => judgeCoverage(target, facts({ node_tables: [{ ...table('shop', 'orders', [col('id', { not_null: true }), extra]), has_rows: null }] }));
    expect(withExtra(col('memo')).gaps).toMatchObject([{ kind: 'extra column on node', column: 'memo' }]);
    expect(withExtra(col('memo')).gaps[0].problem).toContain('not on the source: the schemas differ');
    expect(withExtra(col('memo')).fix[0].text).toBe('ALTER TABLE shop.orders DROP COLUMN memo;');
    expect(withExtra(col('memo', { not_null: true })).gaps[0].problem).toContain('every insert from the source fails there');
  });

  it('a pgedge node also puts the new table into its replication set, before the copy', () => {
    const c = judgeCoverage({ ...target, kind: 'pgedge', replication_set: 'default' }, facts({ published: [late], subscribed: [], node_tables: [{ ...late, has_rows: false }] }));
    expect(c.fix.map((f) => f.text)).toEqual(["SELECT spock.repset_add_table('default', 'shop.late'::regclass, false);", 'ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);']);
  });
});

describe('acceptsValues: a node column that widens the source\'s is no gap', () => {
  const t = (name: string, mod = -1): [string, string, number] => ['pg_catalog', name, mod];
  it('accepts the same type and the widenings Snowflake and DBAs make', () => {
    expect(acceptsValues(t('int4'), t('int4'))).toBe(true);
    expect(acceptsValues(t('int4'), t('int8'))).toBe(true);
    expect(acceptsValues(t('int2'), t('numeric'))).toBe(true);
    expect(acceptsValues(t('varchar', 24), t('varchar', 104))).toBe(true);
    expect(acceptsValues(t('varchar', 24), t('text'))).toBe(true);
  });
  it('refuses a narrowing, another type, or a bounded numeric', () => {
    expect(acceptsValues(t('int8'), t('int4'))).toBe(false);
    expect(acceptsValues(t('varchar', 104), t('varchar', 24))).toBe(false);
    expect(acceptsValues(t('text'), t('int8'))).toBe(false);
    expect(acceptsValues(t('int4'), t('numeric', 655366))).toBe(false);
    expect(acceptsValues(['app', 'int4', -1], t('int8'))).toBe(false);
  });
});
