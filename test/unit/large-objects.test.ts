import { describe, expect, it } from 'vitest';
import { largeObjectOids } from '../../src/pg/drop-restored.js';
import { compareLargeObjects, describeLargeObjectDifferences } from '../../src/pg/large-objects.js';

describe('large objects', () => {
  it("reads the dump's large objects from pg_restore --list", () => {
    const toc = [
      '; Selected TOC Entries:',
      ';',
      '214; 1259 16385 TABLE public t postgres',
      '3341; 2613 16390 BLOB - 16390 postgres',
      '3342; 2613 424242 BLOB - 424242 app',
      '3343; 0 0 BLOBS - BLOBS ',
      '3344; 0 0 COMMENT - LARGE OBJECT 16390 postgres',
    ].join('\n');
    expect(largeObjectOids(toc)).toEqual(['16390', '424242']);
  });

  it('names each difference by oid, in oid order', () => {
    const d = (hash: string, size = '5') => ({ size, hash });
    const source = new Map([['900', d('a')], ['10', d('b')], ['11', d('c')]]);
    const node = new Map([['10', d('b')], ['11', d('x')], ['12', d('y')]]);
    const c = compareLargeObjects(source, node);
    expect(c).toEqual({
      source: 3,
      node: 3,
      equal: false,
      differences: [
        { oid: '11', problem: 'differs' },
        { oid: '12', problem: 'only on node' },
        { oid: '900', problem: 'missing on node' },
      ],
    });
    expect(describeLargeObjectDifferences(c, 2)).toBe('large objects (source 3, node 3): 11 differs, 12 only on node, and 1 more');
    expect(compareLargeObjects(source, new Map(source)).equal).toBe(true);
  });
});
