// Large objects, which logical replication never carries: only the dump does,
// as of its snapshot. What they are on one database (oid, size, a hash of the
// contents), and how two such readings differ.
import type pg from 'pg';

export interface LargeObjectDigest {
  size: string;
  hash: string;
}

export interface LargeObjectDifference {
  oid: string;
  problem: 'missing on node' | 'only on node' | 'differs';
}

export interface LargeObjectComparison {
  source: number;
  node: number;
  equal: boolean;
  /** By oid, in oid order. */
  differences: LargeObjectDifference[];
}

// Read in 1 MB pieces (lo_get with an offset) and hashed piece by piece, so
// that no large object is ever held whole in memory; reading through lo_get
// rather than pg_largeobject needs no superuser and sees a sparse object
// (holes in its pages) as the zeros a restore writes for them.
const CHUNK = 1048576;
const DIGESTS = `
WITH lo AS (
  SELECT m.oid, lo_lseek64(lo_open(m.oid, x'40000'::int), 0, 2) AS size
    FROM pg_largeobject_metadata m
)
SELECT lo.oid::text AS oid, lo.size::text AS size,
       md5(coalesce(string_agg(md5(lo_get(lo.oid, piece.off, ${CHUNK})), '' ORDER BY piece.off), '')) AS hash
  FROM lo
  LEFT JOIN LATERAL generate_series(0::bigint, lo.size - 1, ${CHUNK}) AS piece(off) ON true
 GROUP BY lo.oid, lo.size
 ORDER BY lo.oid`;

/** Every large object of the connected database, by oid. */
export async function readLargeObjects(c: pg.Client): Promise<Map<string, LargeObjectDigest>> {
  const rows = (await c.query<{ oid: string; size: string; hash: string }>(DIGESTS)).rows;
  return new Map(rows.map((r) => [r.oid, { size: r.size, hash: r.hash }]));
}

export function compareLargeObjects(source: Map<string, LargeObjectDigest>, node: Map<string, LargeObjectDigest>): LargeObjectComparison {
  const differences: LargeObjectDifference[] = [];
  for (const [oid, s] of source) {
    const n = node.get(oid);
    if (!n) differences.push({ oid, problem: 'missing on node' });
    else if (n.size !== s.size || n.hash !== s.hash) differences.push({ oid, problem: 'differs' });
  }
  for (const oid of node.keys()) if (!source.has(oid)) differences.push({ oid, problem: 'only on node' });
  differences.sort((a, b) => Number(a.oid) - Number(b.oid));
  return { source: source.size, node: node.size, equal: differences.length === 0, differences };
}

/** `424202 differs, 424203 missing on node`, at most `shown` of them. */
export function describeLargeObjectDifferences(c: LargeObjectComparison, shown = 5): string {
  const parts = c.differences.slice(0, shown).map((d) => `${d.oid} ${d.problem}`);
  if (c.differences.length > shown) parts.push(`and ${c.differences.length - shown} more`);
  return `large objects (source ${c.source}, node ${c.node}): ${parts.join(', ')}`;
}

/** pg_dump leaves large objects out of a dump of chosen schemas or tables (without --blobs). */
export function dumpCarriesLargeObjects(plan: { publish: { schemas?: string[]; tables?: string[] } }): boolean {
  return !plan.publish.schemas && !plan.publish.tables;
}
