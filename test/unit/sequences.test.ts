// The statements that make a node's sequences safe at cutover, per strategy.
import { describe, it, expect } from 'vitest';
import { sequenceStatements, sequenceValuesQuery, type SourceSequence } from '../../src/pg/sequences.js';
import { OperationError } from '../../src/errors.js';

const seq = (over: Partial<SourceSequence> = {}): SourceSequence => ({
  schema: 'shop',
  name: 'orders_id_seq',
  last_value: 5000n,
  is_called: true,
  increment_by: 1n,
  min_value: 1n,
  max_value: 9223372036854775807n,
  start_value: 1n,
  ...over,
});

describe('sequenceStatements', () => {
  it('copy: the source value plus the gap, as already handed out', () => {
    expect(sequenceStatements(seq(), 'copy', 1000n, 0, 1)).toEqual(["SELECT setval('shop.orders_id_seq'::regclass, 6000, true)"]);
  });

  it('copy: a sequence never used on the source and no gap is set exactly as on the source', () => {
    expect(sequenceStatements(seq({ last_value: 1n, is_called: false }), 'copy', 0n, 0, 1)).toEqual(["SELECT setval('shop.orders_id_seq'::regclass, 1, false)"]);
  });

  it('copy: a sequence left by setval(s, 5001, false) has handed out 5000: the node goes past it by the gap', () => {
    expect(sequenceStatements(seq({ last_value: 5001n, is_called: false }), 'copy', 1000n, 0, 1)).toEqual(["SELECT setval('shop.orders_id_seq'::regclass, 6000, true)"]);
  });

  it('interleave: a sequence left by setval(s, 5001, false) starts the nodes past 5000 plus the gap', () => {
    const firsts = [0, 1].map((i) => sequenceStatements(seq({ last_value: 5001n, is_called: false }), 'interleave', 1000n, i, 2)[1]);
    expect(firsts).toEqual(["SELECT setval('shop.orders_id_seq'::regclass, 6001, false)", "SELECT setval('shop.orders_id_seq'::regclass, 6002, false)"]);
  });

  it('interleave: a sequence never used starts the nodes at its start plus the gap', () => {
    expect(sequenceStatements(seq({ last_value: 1n, is_called: false }), 'interleave', 0n, 0, 2)[1]).toBe("SELECT setval('shop.orders_id_seq'::regclass, 1, false)");
  });

  it('interleave: node i of N starts at its own offset past the source value, all stepping by N', () => {
    const [n1, n2] = [0, 1].map((i) => sequenceStatements(seq(), 'interleave', 100n, i, 2));
    expect(n1).toEqual(['ALTER SEQUENCE shop.orders_id_seq INCREMENT BY 2', "SELECT setval('shop.orders_id_seq'::regclass, 5101, false)"]);
    expect(n2).toEqual(['ALTER SEQUENCE shop.orders_id_seq INCREMENT BY 2', "SELECT setval('shop.orders_id_seq'::regclass, 5102, false)"]);
    // n1 hands out 5101, 5103, ...; n2 5102, 5104, ...: disjoint, and all past the source's 5000 + gap.
  });

  it('interleave keeps a larger increment: node values stay on their own residues', () => {
    const stmts = [0, 1, 2].map((i) => sequenceStatements(seq({ increment_by: 10n, last_value: 990n }), 'interleave', 0n, i, 3)[1]);
    expect(stmts).toEqual([
      "SELECT setval('shop.orders_id_seq'::regclass, 1000, false)",
      "SELECT setval('shop.orders_id_seq'::regclass, 1010, false)",
      "SELECT setval('shop.orders_id_seq'::regclass, 1020, false)",
    ]);
  });

  it('interleave on a descending sequence goes further down', () => {
    const [alter, set] = sequenceStatements(seq({ increment_by: -1n, last_value: -50n, min_value: -1000n, max_value: -1n, start_value: -1n }), 'interleave', 10n, 1, 2);
    expect(alter).toBe('ALTER SEQUENCE shop.orders_id_seq INCREMENT BY -2');
    expect(set).toBe("SELECT setval('shop.orders_id_seq'::regclass, -62, false)");
  });

  it('a value outside the sequence\'s range is refused, not wrapped', () => {
    expect(() => sequenceStatements(seq({ max_value: 5500n }), 'copy', 1000n, 0, 1)).toThrow(OperationError);
  });

  it('names needing quotes are quoted', () => {
    expect(sequenceStatements(seq({ schema: 'Sales', name: 'Order Id' }), 'interleave', 0n, 0, 2)[0]).toBe('ALTER SEQUENCE "Sales"."Order Id" INCREMENT BY 2');
  });

  it('a schema whose name holds a dot stays one name', () => {
    expect(sequenceStatements(seq({ schema: 'ops.v2', name: 'jobs_id_seq' }), 'interleave', 0n, 0, 2)).toEqual([
      'ALTER SEQUENCE "ops.v2".jobs_id_seq INCREMENT BY 2',
      `SELECT setval('"ops.v2".jobs_id_seq'::regclass, 5001, false)`,
    ]);
  });

  it('the values are read from each sequence itself, one statement for all', () => {
    expect(sequenceValuesQuery([{ schema: 'shop', name: 'a' }, { schema: 'ops.v2', name: "it's" }])).toBe(
      `SELECT 0 AS i, last_value::text AS last_value, is_called FROM shop.a\nUNION ALL\nSELECT 1 AS i, last_value::text AS last_value, is_called FROM "ops.v2"."it's"`,
    );
  });

  it('snowflake: pgEdge converts the sequence', () => {
    expect(sequenceStatements(seq(), 'snowflake', 0n, 0, 2)).toEqual(["SELECT snowflake.convert_sequence_to_snowflake('shop.orders_id_seq'::regclass)"]);
  });
});
