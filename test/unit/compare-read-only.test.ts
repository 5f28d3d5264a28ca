// compare's first guard: statements that write are refused by PostgreSQL's own
// parser before any session opens; and :name parameters become $n.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, numberParameters, whyNotReadOnly } from '../../src/compare/read-only.js';

beforeAll(() => loadSqlParser());

describe('read-only by parsing', () => {
  it.each(['SELECT 1', 'VALUES (1), (2)', 'TABLE accounts', 'WITH a AS (SELECT 1) SELECT * FROM a', 'SELECT * FROM t WHERE id = $1', 'SELECT 1 UNION SELECT 2'])('accepts %s', (sql) => {
    expect(whyNotReadOnly(sql)).toBeUndefined();
  });

  it.each([
    ['DELETE FROM t', /DELETE statement/],
    ['UPDATE t SET a = 1', /UPDATE statement/],
    ['INSERT INTO t VALUES (1)', /INSERT statement/],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', /data-modifying WITH/],
    ['SELECT * FROM (SELECT 1) s, LATERAL (WITH x AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM x) y', /UPDATE statement/],
    ['SELECT * INTO copy FROM t', /SELECT INTO/],
    ['SELECT * FROM t FOR UPDATE', /locks rows/],
    ['SELECT 1; DELETE FROM t', /2 statements/],
    ['CREATE TABLE x (a int)', /CREATE statement/],
    ['EXPLAIN ANALYZE DELETE FROM t', /EXPLAIN statement/],
    ['SELEC 1', /does not parse: syntax error at or near "SELEC" \(at character 1\)/],
  ])('refuses %s', (sql, why) => {
    expect(whyNotReadOnly(sql)).toMatch(why);
  });
});

describe(':name parameters', () => {
  it('numbers them in order of first use, leaving casts, strings and comments alone', () => {
    const sql = "SELECT a::int FROM t WHERE id = :id AND b = ':b' AND c = :c -- :d\n AND e = :id";
    expect(numberParameters(sql)).toEqual({ text: "SELECT a::int FROM t WHERE id = $1 AND b = ':b' AND c = $2 -- :d\n AND e = $1", names: ['id', 'c'] });
  });
});
