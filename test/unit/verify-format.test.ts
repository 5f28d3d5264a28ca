import { describe, expect, it } from 'vitest';
import { formatNode, TABLE_WIDTH } from '../../src/verify/format.js';
import type { NodeResult, RangeDifference, TableResult } from '../../src/verify/result.js';

const range = (a: number, b: number): RangeDifference => ({ first: [String(a)], last: [String(b)], lower: [String(a)], upper: [String(b + 1)], rows_source: 10, rows_node: 11, rows: [] });

function tableResult(over: Partial<TableResult>): TableResult {
  return { table: 'public.t', compared: 'key ranges', key: ['id'], key_via: 'primary key', ranges: 1, rows_source: 1000, rows_node: 1000, status: 'equal', settled: 0, rechecks: 0, differences: [], busy: [], differences_truncated: false, ...over };
}

describe('verify as a table', () => {
  const busy = tableResult({ table: 'shop.order_items_with_a_rather_long_name_indeed', ranges: 40, status: 'busy', settled: 3, rechecks: 8, busy: [range(1, 250), range(5000, 5250)] });
  const node: NodeResult = { node: 'n1', publication: 'pub_1', equal: true, tables: [tableResult({}), busy] };

  it('says "equal" honestly when ranges stayed busy: how many, and how often they were re-checked', () => {
    expect(formatNode(node).split('\n')[0]).toBe('n1: equal (2 ranges busy, re-checked 8 times) (publication pub_1, 2 tables)');
    expect(formatNode({ ...node, tables: [tableResult({})] }).split('\n')[0]).toBe('n1: equal (publication pub_1, 1 table)');
  });

  it(`fits a ${TABLE_WIDTH}-column terminal, saying where the whole text is`, () => {
    const errors = tableResult({ table: 'public.x', status: 'error', error: 'permission denied for table x: '.repeat(6) });
    const text = formatNode({ ...node, equal: false, tables: [tableResult({}), busy, errors] });
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text).toContain('…');
    expect(text).toContain('`migrate verify --json` has them whole');
  });
});
