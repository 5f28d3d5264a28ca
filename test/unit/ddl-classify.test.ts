// migrate ddl's first decision, from PostgreSQL's own parse tree: which
// statements it orders (and which way), which it refuses and why, and which
// type changes are widenings. Names stay apart (schema, name), however odd.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser } from '../../src/compare/read-only.js';
import { classifyDdl, wideningRefusal, type DdlStatement } from '../../src/ddl/classify.js';
import { buildDdlGraph, changeId } from '../../src/ddl/ddl-graph.js';
import { planFromText } from './support.js';

beforeAll(() => loadSqlParser());

function ok(sql: string): DdlStatement[] {
  const c = classifyDdl(sql);
  if (!c.ok) throw new Error(`refused: ${c.refusal.reason}`);
  return c.statements;
}

function refusal(sql: string) {
  const c = classifyDdl(sql);
  if (c.ok) throw new Error(`accepted: ${sql}`);
  return c.refusal;
}

describe('additions', () => {
  it.each([
    ['ALTER TABLE shop.orders ADD COLUMN note text', 'add-column', ['note']],
    ["ALTER TABLE shop.orders ADD COLUMN note text NOT NULL DEFAULT 'none'", 'add-column', ['note']],
    ['ALTER TABLE shop.orders ADD COLUMN a int DEFAULT -1, ADD COLUMN b numeric(4,1) DEFAULT 1.5', 'add-column', ['a', 'b']],
    ["ALTER TABLE t ADD COLUMN tags text[] DEFAULT ARRAY['x']::text[]", 'add-column', ['tags']],
    ["ALTER TABLE t ADD COLUMN at date DEFAULT '2026-01-01'", 'add-column', ['at']],
    ['ALTER TABLE t ALTER COLUMN c SET DEFAULT now()', 'set-default', ['c']],
    ['ALTER TABLE t ALTER COLUMN c TYPE bigint', 'widen-column', ['c']],
  ])('%s is %s, nodes first', (sql, action, columns) => {
    const [s] = ok(sql);
    expect(s).toMatchObject({ kind: 'additive', action, columns });
  });

  it('CREATE TABLE with a primary key, CREATE INDEX (CONCURRENTLY), CREATE SEQUENCE', () => {
    const s = ok('CREATE TABLE shop.refunds (id bigint PRIMARY KEY, amount numeric(12,2)); CREATE INDEX CONCURRENTLY refunds_amount ON shop.refunds (amount); CREATE SEQUENCE shop.refund_no');
    expect(s.map((x) => [x.n, x.kind, x.action])).toEqual([
      [1, 'additive', 'create-table'],
      [2, 'additive', 'create-index'],
      [3, 'additive', 'create-sequence'],
    ]);
    expect(s[0].relation).toEqual({ schema: 'shop', name: 'refunds' });
    expect(s[1]).toMatchObject({ index: 'refunds_amount', concurrent: true, relation: { schema: 'shop', name: 'refunds' } });
    expect(s[1].sql).toBe('CREATE INDEX CONCURRENTLY refunds_amount ON shop.refunds (amount)');
    expect(ok('CREATE TABLE t (id int, PRIMARY KEY (id))')[0].relation).toEqual({ schema: null, name: 't' });
  });
});

describe('removals', () => {
  it.each([
    ['ALTER TABLE shop.orders DROP COLUMN note', 'drop-column'],
    ['DROP TABLE shop.refunds', 'drop-table'],
    ['DROP INDEX CONCURRENTLY shop.refunds_amount', 'drop-index'],
    ['DROP SEQUENCE IF EXISTS shop.refund_no', 'drop-sequence'],
  ])('%s is %s, source first', (sql, action) => {
    expect(ok(sql)[0]).toMatchObject({ kind: 'removal', action });
  });
});

describe('odd names stay apart', () => {
  it('quoted identifiers with dots, spaces and upper case', () => {
    const [add, create, drop] = ok('ALTER TABLE "My.Schema"."Order Items" ADD COLUMN "Note.Text" text; CREATE INDEX "Idx.1" ON "My.Schema"."Order Items" ("Note.Text"); ');
    expect(add.relation).toEqual({ schema: 'My.Schema', name: 'Order Items' });
    expect(add.columns).toEqual(['Note.Text']);
    expect(create).toMatchObject({ index: 'Idx.1', relation: { schema: 'My.Schema', name: 'Order Items' } });
    expect(drop).toBeUndefined();
    expect(ok('DROP TABLE "a.b"."c d"')[0].relation).toEqual({ schema: 'a.b', name: 'c d' });
    expect(ok('ALTER TABLE "Shop"."Orders" DROP COLUMN "Status"')[0]).toMatchObject({ relation: { schema: 'Shop', name: 'Orders' }, columns: ['Status'] });
  });

  it('the graph quotes them at the last moment, from their parts', () => {
    const plan = planFromText(PLAN);
    const statements = ok('CREATE TABLE "My.Schema"."Order Items" (id int PRIMARY KEY)');
    const g = buildDdlGraph(plan, { id: changeId('x'), statements });
    expect(g.tasks.map((t) => t.id)).toEqual([
      `ddl:${changeId('x')}:1:n1`,
      `ddl:${changeId('x')}:1:n2`,
      `ddl:${changeId('x')}:1:source`,
      `ddl:${changeId('x')}:1:publication`,
      `ddl:${changeId('x')}:1:sync:n1`,
      `ddl:${changeId('x')}:1:sync:n2`,
    ]);
  });
});

describe('refused before anything runs, with the manual procedure', () => {
  it.each([
    ['ALTER TABLE shop.orders RENAME COLUMN status TO state', /rename/, /Add the new column/],
    ['ALTER TABLE shop.orders RENAME TO purchases', /rename/, /after the cutover/],
    ['ALTER TABLE shop.orders ADD COLUMN seen timestamptz DEFAULT now()', /different value on each server/, /without a default.*SET DEFAULT.*UPDATE on the source/],
    ['ALTER TABLE t ADD COLUMN r float8 DEFAULT random()', /different value on each server/, /backfill/],
    ['ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()', /different value/, /UPDATE on the source/],
    ["ALTER TABLE t ADD COLUMN n bigint DEFAULT nextval('s')", /different value/, /UPDATE/],
    ["ALTER TABLE t ADD COLUMN d date DEFAULT 'today'", /different value/, /UPDATE/],
    ['ALTER TABLE t ADD COLUMN d timestamptz DEFAULT CURRENT_TIMESTAMP', /different value/, /UPDATE/],
    ['ALTER TABLE t ADD COLUMN id bigserial', /sequence of each server/, /UPDATE/],
    ['ALTER TABLE t ADD COLUMN c int NOT NULL', /NOT NULL without a default/, /constant DEFAULT/],
    ['ALTER TABLE t ADD COLUMN c int UNIQUE', /constraint/, /NOT VALID/],
    ['ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)', /one side and fail on the other/, /source first/],
    ['ALTER TABLE t ALTER COLUMN a SET NOT NULL', /one side and fail/, /source first/],
    ['ALTER TABLE t ALTER COLUMN a TYPE int USING a::int', /USING/, /new column/],
    ['CREATE UNIQUE INDEX i ON t (a)', /unique index/, /source first/],
    ['CREATE INDEX ON t (a)', /no name/, /Name it/],
    ['CREATE TABLE t (a int)', /no primary key/, /PRIMARY KEY/],
    ['CREATE UNLOGGED TABLE t (a int PRIMARY KEY)', /never replicated/, /by hand/],
    ['CREATE TABLE t2 AS SELECT * FROM t', /AS/, /INSERT \.\.\. SELECT on the source/],
    ['DROP TABLE a, b', /2 objects/, /one table per statement/],
    ['DROP TABLE a CASCADE', /CASCADE/, /without CASCADE/],
    ['BEGIN; ALTER TABLE t ADD COLUMN c int; COMMIT', /transaction block/, /without BEGIN\/COMMIT/],
    ['ALTER TABLE t ADD COLUMN c int; ALTER TABLE t DROP COLUMN d', /mixes additions/, /two changes/],
    ['TRUNCATE t', /TRUNCATE statement/, /subscription disabled/],
    ['ALTER TABLE t ADD COLUMN', /does not parse/, /Correct the SQL/],
  ])('%s', (sql, reason, procedure) => {
    const r = refusal(sql);
    expect(r.reason).toMatch(reason);
    expect(r.procedure).toMatch(procedure);
    expect(r.statement.length).toBeGreaterThan(0);
  });

  it('names the statement refused, by its position and text', () => {
    const r = refusal('ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t RENAME COLUMN b TO c;');
    expect(r.n).toBe(2);
    expect(r.statement).toBe('ALTER TABLE t RENAME COLUMN b TO c');
  });
});

describe('widening, judged against the type the catalog has now', () => {
  const spec = (sql: string) => ok(sql)[0].newType!;
  it.each([
    [{ typname: 'int2', typmod: -1 }, 'integer', undefined],
    [{ typname: 'int4', typmod: -1 }, 'bigint', undefined],
    [{ typname: 'int8', typmod: -1 }, 'bigint', undefined],
    [{ typname: 'varchar', typmod: 24 }, 'varchar(40)', undefined],
    [{ typname: 'varchar', typmod: 24 }, 'varchar(20)', undefined],
    [{ typname: 'varchar', typmod: 24 }, 'text', undefined],
    [{ typname: 'varchar', typmod: 24 }, 'varchar', undefined],
    [{ typname: 'numeric', typmod: ((12 << 16) | 2) + 4 }, 'numeric(14,2)', undefined],
    [{ typname: 'numeric', typmod: ((12 << 16) | 2) + 4 }, 'numeric', undefined],
  ])('%j to %s is a widening', (from, to, expected) => {
    expect(wideningRefusal(from, spec(`ALTER TABLE t ALTER COLUMN c TYPE ${to}`))).toBe(expected);
  });

  it.each([
    [{ typname: 'int8', typmod: -1 }, 'integer', /narrows/],
    [{ typname: 'varchar', typmod: 44 }, 'varchar(20)', /varchar\(40\) to varchar\(20\) narrows/],
    [{ typname: 'varchar', typmod: -1 }, 'varchar(20)', /unbounded/],
    [{ typname: 'numeric', typmod: ((12 << 16) | 2) + 4 }, 'numeric(12,1)', /round/],
    [{ typname: 'numeric', typmod: ((12 << 16) | 2) + 4 }, 'numeric(12,3)', /round/],
    [{ typname: 'text', typmod: -1 }, 'varchar(10)', /not a widening/],
    [{ typname: 'int4', typmod: -1 }, 'text', /not a widening/],
  ])('%j to %s is refused', (from, to, why) => {
    expect(wideningRefusal(from, spec(`ALTER TABLE t ALTER COLUMN c TYPE ${to}`))).toMatch(why);
  });
});

describe('the order', () => {
  it('removals: the source, the nodes\' confirmation, then each node (a dropped table leaves the subscription first)', () => {
    const plan = planFromText(PLAN);
    const g = buildDdlGraph(plan, { id: 'c', statements: ok('DROP TABLE shop.refunds') });
    expect(g.tasks.map((t) => [t.id, t.deps])).toEqual([
      ['ddl:c:1:source', []],
      ['ddl:c:1:confirm', ['ddl:c:1:source']],
      ['ddl:c:1:refresh:n1', ['ddl:c:1:confirm']],
      ['ddl:c:1:n1', ['ddl:c:1:refresh:n1']],
      ['ddl:c:1:refresh:n2', ['ddl:c:1:confirm']],
      ['ddl:c:1:n2', ['ddl:c:1:refresh:n2']],
    ]);
  });

  it('a recorded statement runs on the nodes only, and is marked brought at the end', () => {
    const plan = planFromText(PLAN);
    const g = buildDdlGraph(plan, { id: 'c', statements: ok('ALTER TABLE t ADD COLUMN c int'), recorded: ['7'] });
    expect(g.tasks.map((t) => t.id)).toEqual(['ddl:c:1:n1', 'ddl:c:1:n2', 'ddl:c:1:mark']);
    expect(g.tasks[2].deps).toEqual(['ddl:c:1:n1', 'ddl:c:1:n2']);
  });

  it('the same text is the same change', () => {
    expect(changeId('ALTER TABLE t ADD COLUMN c int')).toBe(changeId('ALTER TABLE t ADD COLUMN c int\n'));
    expect(changeId('ALTER TABLE t ADD COLUMN c int')).toMatch(/^[0-9a-f]{12}$/);
  });
});

const PLAN = `version: 1
name: ddl-unit
source:
  dsn: host=127.0.0.1 dbname=app
nodes:
  - name: n1
    dsn: host=127.0.0.2 dbname=app
  - name: n2
    dsn: host=127.0.0.3 dbname=app
replication:
  - node: n1
    publication: pub1
    slot: slot1
    subscription: sub1
  - node: n2
    publication: pub2
    slot: slot2
    subscription: sub2
`;

describe('on pgEdge and pglogical nodes', () => {
  const MULTI = PLAN.replace('    dsn: host=127.0.0.2 dbname=app\n', '    dsn: host=127.0.0.2 dbname=app\n    kind: pgedge\n').replace('    dsn: host=127.0.0.3 dbname=app\n', '    dsn: host=127.0.0.3 dbname=app\n    kind: pglogical\n    replication_set: mine\n');

  it('a new table joins each node\'s replication set before the subscription takes it, and the statement keeps Spock\'s DDL local', async () => {
    const plan = planFromText(MULTI);
    const statements = ok('CREATE TABLE "My.Schema"."Order Items" (id int PRIMARY KEY)');
    const g = buildDdlGraph(plan, { id: 'c', statements: [{ ...statements[0], relation: { schema: 'My.Schema', name: 'Order Items' } }] });
    expect(g.tasks.map((t) => t.id)).toEqual(['ddl:c:1:n1', 'ddl:c:1:repset:n1', 'ddl:c:1:n2', 'ddl:c:1:repset:n2', 'ddl:c:1:source', 'ddl:c:1:publication', 'ddl:c:1:sync:n1', 'ddl:c:1:sync:n2']);
    const { describeTask } = await import('../../src/render/describe.js');
    const sql = (id: string) => describeTask(g.tasks.find((t) => t.id === id)!, { plan, dumpDir: '/d', facts: {}, reveal: false }).steps.flatMap((s) => (s.type === 'sql' ? [s.sql] : [])).join('\n');
    expect(sql('ddl:c:1:repset:n1')).toBe(`SELECT spock.repset_add_table('default', '"My.Schema"."Order Items"'::regclass, false);`);
    expect(sql('ddl:c:1:repset:n2')).toBe(`SELECT pglogical.replication_set_add_table('mine', '"My.Schema"."Order Items"'::regclass, false);`);
    expect(sql('ddl:c:1:n1')).toContain('SET spock.enable_ddl_replication = off;');
    expect(sql('ddl:c:1:n2')).not.toContain('spock');
    expect(sql('ddl:c:1:source')).toBe(`SET pgedge_migrate.ddl_change = 'c';\nCREATE TABLE "My.Schema"."Order Items" (id int PRIMARY KEY);`);
    expect(sql('ddl:c:1:publication')).toBe('ALTER PUBLICATION pub1 ADD TABLE "My.Schema"."Order Items";\nALTER PUBLICATION pub2 ADD TABLE "My.Schema"."Order Items";');
    expect(sql('ddl:c:1:sync:n1')).toBe('ALTER SUBSCRIPTION sub1 REFRESH PUBLICATION WITH (copy_data = true);');
  });
});

describe('the runbook', () => {
  it('tells the operator to make schema changes with migrate ddl between apply and the cutover', async () => {
    const { renderRunbook } = await import('../../src/render/runbook.js');
    const md = renderRunbook(planFromText(PLAN), { dumpDir: '/d', facts: {}, file: 'plan.yaml' });
    const section = md.slice(md.indexOf('## Schema changes while the nodes stream'), md.indexOf('## Rolling back'));
    expect(section).toContain('`migrate ddl plan.yaml -c "SQL"`');
    expect(section).toMatch(/additions on every node first and then on the source,\nremovals on the source first/);
  });
});
