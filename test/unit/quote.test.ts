// Expected values are what PostgreSQL 15 returns for
//   SELECT quote_ident(x), quote_literal(x)
// (checked against a 15.x server; kept here as strings so no server is needed).
import { describe, it, expect } from 'vitest';
import { quoteIdent, quoteLiteral, quoteQualified, quoteName } from '../../src/render/quote.js';
import { planTableName } from '../../src/plan/table-name.js';

const CASES: [name: string, input: string, ident: string, literal: string][] = [
  ['lower-case plain', 'orders', 'orders', "'orders'"],
  ['underscore start and digits', '_x1', '_x1', "'_x1'"],
  ['mixed case', 'Orders', '"Orders"', "'Orders'"],
  ['reserved word', 'select', '"select"', "'select'"],
  ['reserved word user', 'user', '"user"', "'user'"],
  ['type/function-name keyword', 'int', '"int"', "'int'"],
  ['column-name keyword', 'between', '"between"', "'between'"],
  ['unreserved keyword', 'name', 'name', "'name'"],
  ['another unreserved keyword', 'cost', 'cost', "'cost'"],
  ['embedded double quotes', 'My "Pub"', '"My ""Pub"""', `'My "Pub"'`],
  ['backslash', 'a\\b', '"a\\b"', "E'a\\\\b'"],
  ['single quote', "it's", '"it\'s"', "'it''s'"],
  ['single quote and backslash', "O'Reilly\\x", '"O\'Reilly\\x"', "E'O''Reilly\\\\x'"],
  ['leading digit', '1abc', '"1abc"', "'1abc'"],
  ['dollar sign', 'a$b', '"a$b"', "'a$b'"],
  ['space', 'my table', '"my table"', "'my table'"],
  ['hyphen', 'a-b', '"a-b"', "'a-b'"],
  ['non-ASCII letter', 'é', '"é"', "'é'"],
  ['upper-case non-ASCII', 'ÉCOLE', '"ÉCOLE"', "'ÉCOLE'"],
  ['empty', '', '""', "''"],
  ['tab', 'tab\tx', '"tab\tx"', "'tab\tx'"],
  ['newline', 'line\nnext', '"line\nnext"', "'line\nnext'"],
];

describe('quoteIdent matches quote_ident', () => {
  it.each(CASES)('%s', (_what, input, ident) => {
    expect(quoteIdent(input)).toBe(ident);
  });
});

describe('quoteLiteral matches quote_literal', () => {
  it.each(CASES)('%s', (_what, input, _ident, literal) => {
    expect(quoteLiteral(input)).toBe(literal);
  });
});

describe('quoteQualified', () => {
  it('quotes each part of schema.table on its own', () => {
    expect(quoteQualified('public.orders')).toBe('public.orders');
    expect(quoteQualified('Sales.Order Lines')).toBe('"Sales"."Order Lines"');
    expect(quoteQualified('select.from')).toBe('"select"."from"');
    expect(quoteQualified('orders')).toBe('orders');
  });
});

describe('quoteName', () => {
  it('keeps a dot inside a part in that part', () => {
    expect(quoteName('ops.v2', 'jobs_id_seq')).toBe('"ops.v2".jobs_id_seq');
    expect(quoteName('shop', 'b.c')).toBe('shop."b.c"');
    expect(quoteName('Sales', 'Order Lines')).toBe('"Sales"."Order Lines"');
  });
});

describe('planTableName', () => {
  it('reads publish.tables entries, whose format allows no dot inside a part', () => {
    expect(planTableName('Sales.Order Lines')).toEqual({ schema: 'Sales', name: 'Order Lines' });
  });
});
