// readFacts: a fact whose reader failed costs only the rules that read it.
import { describe, it, expect } from 'vitest';
import { readFacts } from '../../src/check/read/read-facts.js';

describe('readFacts', () => {
  it('runs the readers in the order written, and adds their results to the base', async () => {
    const order: string[] = [];
    const facts = await readFacts(
      { base: 1 },
      {
        a: async () => (order.push('a'), 'A'),
        b: async () => (order.push('b'), 2),
      },
    );
    expect(order).toEqual(['a', 'b']);
    expect(facts).toEqual({ base: 1, a: 'A', b: 2 });
  });

  it('a failed reader leaves a property that throws its error when read; the others are read as usual', async () => {
    const failure = Object.assign(new Error('permission denied for view pg_stat_activity'), { code: '42501' });
    const facts = await readFacts(
      {},
      {
        before: async () => 1,
        broken: async (): Promise<number> => {
          throw failure;
        },
        after: async () => 3,
      },
    );
    expect(facts.before).toBe(1);
    expect(facts.after).toBe(3);
    expect(() => facts.broken).toThrow(failure);
    expect(Object.keys(facts)).toEqual(['before', 'broken', 'after']);
  });
});
