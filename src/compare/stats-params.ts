// What a normalized statement's $n stand for, read from its parse tree: the
// column each is compared with (col = $1, col IN ($1, $2), col BETWEEN $1 AND
// $2), or a LIMIT/OFFSET. pg_stat_statements keeps no values, so --from-stats
// fills each $n from a sample of its column: an approximation, and said so.
import { parseSync } from 'libpg-query';

export interface RelationRef {
  schema: string | null;
  table: string;
  /** The alias, or the table's own name, that qualifies its columns in the statement. */
  alias: string;
}

export type ParamMeaning = { column: string; qualifier: string | null } | { limit: true } | { offset: true };

export interface StatementParams {
  relations: RelationRef[];
  params: Map<number, ParamMeaning>;
  /** The highest $n. */
  count: number;
}

type Node = Record<string, unknown>;

export function statementParams(sql: string): StatementParams {
  const tree = parseSync(sql) as { stmts: { stmt: Node }[] };
  const relations: RelationRef[] = [];
  const params = new Map<number, ParamMeaning>();
  let count = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Node)) {
      const v = value as Node;
      if (key === 'RangeVar') relations.push({ schema: (v.schemaname as string) ?? null, table: v.relname as string, alias: ((v.alias as Node)?.aliasname as string) ?? (v.relname as string) });
      if (key === 'ParamRef') count = Math.max(count, v.number as number);
      if (key === 'A_Expr') comparedColumn(v, params);
      if (key === 'limitCount' || key === 'limitOffset') {
        const n = paramNumber(v);
        if (n !== undefined) params.set(n, key === 'limitCount' ? { limit: true } : { offset: true });
      }
      visit(value);
    }
  };
  visit(tree.stmts[0]?.stmt);
  return { relations, params, count };
}

// A parameter stands for a column's value only where it is compared with it:
// in `id + $1` it is an offset, not an id.
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=', '~~', '!~~', '~~*', '!~~*']);
const COMPARING_KINDS = new Set(['AEXPR_IN', 'AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_LIKE', 'AEXPR_ILIKE']);

function isComparison(expr: Node): boolean {
  if (COMPARING_KINDS.has(expr.kind as string)) return true;
  const op = ((expr.name as Node[] | undefined)?.at(-1)?.String as Node | undefined)?.sval as string | undefined;
  return expr.kind === 'AEXPR_OP' && op !== undefined && COMPARISONS.has(op);
}

function comparedColumn(expr: Node, params: Map<number, ParamMeaning>): void {
  if (!isComparison(expr)) return;
  for (const [colSide, paramSide] of [
    [expr.lexpr, expr.rexpr],
    [expr.rexpr, expr.lexpr],
  ] as [Node | undefined, Node | undefined][]) {
    const column = columnOf(colSide);
    if (!column) continue;
    const items = paramSide?.List ? (((paramSide.List as Node).items as Node[]) ?? []) : [paramSide];
    for (const item of items) {
      const n = paramNumber(item);
      if (n !== undefined && !params.has(n)) params.set(n, column);
    }
  }
}

function columnOf(node: Node | undefined): { column: string; qualifier: string | null } | undefined {
  const ref = (node?.TypeCast ? ((node.TypeCast as Node).arg as Node) : node)?.ColumnRef as Node | undefined;
  const fields = ((ref?.fields as Node[]) ?? []).map((f) => (f.String as Node | undefined)?.sval as string | undefined);
  if (!fields.length || fields.some((f) => f === undefined)) return undefined;
  return { column: fields[fields.length - 1]!, qualifier: fields.length > 1 ? fields[fields.length - 2]! : null };
}

function paramNumber(node: Node | undefined): number | undefined {
  const inner = node?.TypeCast ? ((node.TypeCast as Node).arg as Node) : node;
  const p = inner?.ParamRef as Node | undefined;
  return p ? (p.number as number) : undefined;
}
