// The shape of a query plan from EXPLAIN (FORMAT JSON, VERBOSE), and what
// differs between the source's and a node's: a different top node, or a
// sequential scan where the source reads the same table through an index
// (a missing index on a node is the classic migration regression).
import type { CompareReport } from './report.types.js';

type QueryResult = CompareReport['queries'][number];
export type PlanShape = QueryResult['plans'][number];
export type Scan = PlanShape['scans'][number];
export type PlanDifference = QueryResult['plan_differences'][number];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** EXPLAIN (FORMAT JSON) output: a one-element array holding { Plan }. */
export function shapeOf(target: string, explain: unknown): PlanShape {
  const root = (explain as { Plan?: PlanNode }[] | undefined)?.[0]?.Plan;
  if (!root) return { target, top_node: null, scans: [], error: 'EXPLAIN returned no plan' };
  const scans: Scan[] = [];
  const walk = (n: PlanNode) => {
    if (n['Relation Name']) {
      scans.push({ node_type: n['Node Type'], schema: n.Schema ?? null, relation: n['Relation Name'], index: n['Index Name'] ?? bitmapIndex(n) });
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(root);
  return { target, top_node: root['Node Type'], scans, error: null };
}

/** A bitmap heap scan reads through the indexes of the bitmap index scans below it. */
function bitmapIndex(n: PlanNode): string | null {
  if (n['Node Type'] !== 'Bitmap Heap Scan') return null;
  const names: string[] = [];
  const walk = (c: PlanNode) => {
    if (c['Node Type'] === 'Bitmap Index Scan' && c['Index Name']) names.push(c['Index Name']);
    for (const g of c.Plans ?? []) walk(g);
  };
  for (const c of n.Plans ?? []) walk(c);
  return names.length ? names.join(', ') : null;
}

const sameTable = (a: Scan, b: Scan) => a.relation === b.relation && a.schema === b.schema;
const tableName = (s: Scan) => (s.schema ? `${s.schema}.${s.relation}` : s.relation);

export function planDifferences(source: PlanShape, node: PlanShape, nodeName: string): PlanDifference[] {
  if (source.error || node.error) return [];
  const out: PlanDifference[] = [];
  if (source.top_node !== node.top_node) {
    out.push({ node: nodeName, kind: 'top_node', message: `top plan node is ${node.top_node} on ${nodeName}, ${source.top_node} on the source` });
  }
  const reported = new Set<string>();
  for (const scan of node.scans) {
    if (scan.node_type !== 'Seq Scan' || reported.has(tableName(scan))) continue;
    const indexed = source.scans.find((s) => sameTable(s, scan) && s.index);
    if (!indexed) continue;
    reported.add(tableName(scan));
    out.push({ node: nodeName, kind: 'seq_scan', message: `Seq Scan on ${tableName(scan)} on ${nodeName}, where the source uses ${indexed.node_type} (${indexed.index}): is an index missing on ${nodeName}?` });
  }
  return out;
}
