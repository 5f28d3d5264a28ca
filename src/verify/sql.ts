// The SQL of verify, as pure functions: what each database computes for a
// table, a key range or a physical chunk. Identifiers go through quote.ts;
// values (key bounds, chunk limits) are always bind parameters.
import { quoteIdent, quoteLiteral } from '../render/quote.js';
import type { TableShape, KeyValue, KeyRange, QualifiedName } from './table-shape.js';

export interface Query {
  text: string;
  values: string[];
}

/**
 * Every verify session sees values printed the same way on the source and the
 * nodes, whatever their server defaults: a row's text (and so its hash) and a
 * key's text must not depend on the server's TimeZone or DateStyle.
 * search_path is pg_catalog only, so format_type() qualifies every other type
 * and no user function can stand in for the ones called here.
 * enable_sort is off because the planner cannot know that a bucket expression
 * has a handful of values: it would sort every row before aggregating instead
 * of hashing into a few groups (measured: a sort spilling to disk, 2x slower).
 */
export const SESSION_SETUP = [
  'SET search_path = pg_catalog',
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET lc_monetary = 'C'",
  'SET statement_timeout = 0',
  'SET idle_in_transaction_session_timeout = 0',
  'SET enable_sort = off',
  // JIT's inlining and optimization passes took 1.4 s to compile one
  // whole-table bucket query (itself 1 s); plain expression JIT still runs.
  'SET jit_inline_above_cost = -1',
  'SET jit_optimize_above_cost = -1',
].join(';\n');

/** A type or collation by its catalog name: pg_catalog."varchar", public.mood, pg_catalog._int4 for int[]. */
export function qualifiedName(n: QualifiedName): string {
  return `${quoteIdent(n.schema)}.${quoteIdent(n.name)}`;
}

class Params {
  readonly values: string[] = [];
  add(value: string, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

/** The relation as scanned: ONLY, so that inheritance children (published, and compared, on their own) are not counted twice; a partitioned table has no rows of its own and is read whole. */
export function relationSql(t: TableShape): string {
  const name = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  return t.relkind === 'p' ? name : `ONLY ${name}`;
}

/**
 * A row's 64-bit hash. Summed, it is independent of row order (no ORDER BY,
 * no sort), and one changed row changes the sum unless two 64-bit hashes
 * collide. hashtextextended is the hash of hash partitioning: stable across
 * major versions, and 3.5x faster here than md5 cut into a bigint.
 */
export function rowHashSql(t: TableShape): string {
  return `hashtextextended(ROW(${t.columns.map((c) => quoteIdent(c.name)).join(', ')})::text, 0)`;
}

function keyColumnsSql(t: TableShape): string[] {
  return t.key!.columns.map((c) => quoteIdent(c.name));
}

/** The key as one comparable value: a row constructor for a composite key, so that `<` is lexicographic and a btree index serves it. */
export function keyExprSql(t: TableShape): string {
  const cols = keyColumnsSql(t);
  return cols.length === 1 ? cols[0] : `(${cols.join(', ')})`;
}

function keyParam(t: TableShape, p: Params, value: KeyValue): string {
  const parts = t.key!.columns.map((c, i) => p.add(value[i], qualifiedName(c.type)));
  return parts.length === 1 ? parts[0] : `(${parts.join(', ')})`;
}

export type Side = 'source' | 'node';

function conditions(t: TableShape, p: Params, side: Side, range: KeyRange | null, chunk: Chunk | null): string[] {
  const out: string[] = [];
  if (range?.lower) out.push(`${keyExprSql(t)} >= ${keyParam(t, p, range.lower)}`);
  if (range?.upper) out.push(`${keyExprSql(t)} < ${keyParam(t, p, range.upper)}`);
  if (chunk?.fromPage !== undefined && chunk.fromPage > 0) out.push(`ctid >= ${p.add(`(${chunk.fromPage},0)`, 'tid')}`);
  if (chunk?.toPage !== undefined) out.push(`ctid < ${p.add(`(${chunk.toPage},0)`, 'tid')}`);
  // A row filter keeps rows off the node: the source is compared through it.
  // Its text is the server's own deparse (pg_publication_tables.rowfilter).
  if (side === 'source' && t.rowFilter) out.push(`(${t.rowFilter})`);
  return out;
}

function where(conds: string[]): string {
  return conds.length ? `\n WHERE ${conds.join('\n   AND ')}` : '';
}

/** An array literal's text for a bind parameter: every element quoted. */
export function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/**
 * Which of the ranges cut by `bounds` (ascending keys; bound i is the first key
 * of range i+1) a row falls in. A one-column key uses width_bucket(), a binary
 * search in C over the bounds as one array (bucket overhead measured at under
 * 10% of the scan); a composite key a balanced CASE tree of row comparisons:
 * log2(ranges) per row, each bound used once (about 40%).
 */
export function bucketSql(t: TableShape, p: Params, bounds: KeyValue[]): string {
  const [first, ...rest] = t.key!.columns;
  if (!rest.length && first.arrayType) {
    return `width_bucket(${keyExprSql(t)}, ${p.add(arrayLiteral(bounds.map((b) => b[0])), qualifiedName(first.arrayType))})`;
  }
  return caseTree(t, p, bounds, 0, bounds.length);
}

function caseTree(t: TableShape, p: Params, bounds: KeyValue[], lo: number, hi: number): string {
  if (lo === hi) return String(lo);
  const mid = (lo + hi + 1) >> 1;
  const test = `${keyExprSql(t)} < ${keyParam(t, p, bounds[mid - 1])}`;
  return `CASE WHEN ${test} THEN ${caseTree(t, p, bounds, lo, mid - 1)} ELSE ${caseTree(t, p, bounds, mid, hi)} END`;
}

/** A physical slice of the heap, [fromPage, toPage): scanned by a TID range scan (PostgreSQL 14+). */
export interface Chunk {
  fromPage?: number;
  toPage?: number;
}

/**
 * Count and hash sum per key range, inside `range` (the whole table when
 * null), optionally over one physical chunk. Rows: b, n, h (text).
 */
export function bucketQuery(t: TableShape, side: Side, opts: { range?: KeyRange | null; bounds?: KeyValue[]; chunk?: Chunk | null }): Query {
  const p = new Params();
  const bucket = t.key && opts.bounds?.length ? bucketSql(t, p, opts.bounds) : '0';
  const conds = conditions(t, p, side, opts.range ?? null, opts.chunk ?? null);
  const text = `SELECT ${bucket} AS b, count(*)::text AS n, sum(${rowHashSql(t)})::text AS h\n  FROM ${relationSql(t)}${where(conds)}\n GROUP BY 1`;
  return { text, values: p.values };
}

function keyTextList(t: TableShape, prefix = ''): string {
  return keyColumnsSql(t)
    .map((c, i) => `${prefix}${c}::text AS ${quoteIdent(`k${i}`)}`)
    .join(', ');
}

/**
 * The first key of each of `tiles` equal slices of the keys in `range`: the
 * bounds of that many ranges (the first slice's key is dropped by the caller,
 * the lowest range is open below). `percent` < 100 reads a TABLESAMPLE SYSTEM
 * sample instead of every key, for a large table's first cut.
 */
export function tileBoundsQuery(t: TableShape, side: Side, tiles: number, opts: { range?: KeyRange | null; percent?: number }): Query {
  const p = new Params();
  const cols = keyColumnsSql(t);
  const tilesParam = p.add(String(tiles), 'integer');
  const sample = opts.percent !== undefined && opts.percent < 100 ? ` TABLESAMPLE SYSTEM (${p.add(String(opts.percent), 'float8')})` : '';
  const conds = conditions(t, p, side, opts.range ?? null, null);
  const text =
    `SELECT DISTINCT ON (tile) ${keyTextList(t)}\n` +
    `  FROM (SELECT ${cols.join(', ')}, ntile(${tilesParam}) OVER (ORDER BY ${cols.join(', ')}) AS tile\n` +
    `          FROM ${relationSql(t)}${sample}${where(conds).replaceAll('\n', '\n        ')}) s\n` +
    ` ORDER BY tile, ${cols.join(', ')}`;
  return { text, values: p.values };
}

/** Every key in `range` with its row's hash, in key order: only for a small range, to name the rows that differ. */
export function rowHashesQuery(t: TableShape, side: Side, range: KeyRange, limit: number): Query {
  const p = new Params();
  const conds = conditions(t, p, side, range, null);
  const text = `SELECT ${keyTextList(t)}, ${rowHashSql(t)}::text AS h\n  FROM ${relationSql(t)}${where(conds)}\n ORDER BY ${keyColumnsSql(t).join(', ')}\n LIMIT ${p.add(String(limit), 'integer')}`;
  return { text, values: p.values };
}

/** Keys from both sides put in the table's order (each column's own collation), to show a range as first..last. */
export function sortKeysQuery(t: TableShape, keys: KeyValue[]): Query {
  const p = new Params();
  const names = t.key!.columns.map((_, i) => quoteIdent(`k${i}`));
  const rows = keys.map((k) => `(${t.key!.columns.map((c, i) => p.add(k[i], qualifiedName(c.type))).join(', ')})`);
  // v.k0, not k0: a bare name in ORDER BY means the output column, the text.
  const order = t.key!.columns.map((c, i) => `v.${names[i]}${c.collation ? ` COLLATE ${qualifiedName(c.collation)}` : ''}`);
  const text = `SELECT ${names.map((n) => `v.${n}::text AS ${n}`).join(', ')}\n  FROM (VALUES ${rows.join(', ')}) v(${names.join(', ')})\n ORDER BY ${order.join(', ')}`;
  return { text, values: p.values };
}

/** Heap pages of each table on one database (the largest partition's for a partitioned table); null where the table does not exist there. */
export function tablePagesQuery(tables: TableShape[]): Query {
  const p = new Params();
  const names = p.add(JSON.stringify(tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`)), 'json');
  const text =
    `SELECT n.i::int AS i, CASE WHEN r.oid IS NULL THEN NULL ELSE\n` +
    `         (SELECT max(pg_relation_size(c.oid)) FROM pg_class c WHERE c.oid = r.oid OR c.oid IN (SELECT relid FROM pg_partition_tree(r.oid)))\n` +
    `         / current_setting('block_size')::bigint END::text AS pages\n` +
    `  FROM json_array_elements_text(${names}) WITH ORDINALITY n(name, i)\n` +
    `  LEFT JOIN LATERAL (SELECT to_regclass(n.name) AS oid) r ON true\n` +
    ` ORDER BY 1`;
  return { text, values: p.values };
}

export function importSnapshotSql(snapshot: string): string {
  return `SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`;
}

export const BEGIN_SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY';
