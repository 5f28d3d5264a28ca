// What verify needs to know about a published table, read once from the
// source's catalog: the columns the node receives, the key that orders its
// rows, the publication's row filter, and roughly how many rows it has.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';

export interface QualifiedName {
  schema: string;
  name: string;
}

export interface KeyColumn {
  name: string;
  type: QualifiedName;
  /** The type's array type, for width_bucket's bounds (null: the type has none). */
  arrayType: QualifiedName | null;
  /** The column's collation when it is not the database default: key order follows it. */
  collation: QualifiedName | null;
}

export interface TableShape {
  schema: string;
  name: string;
  /** schema.table, each part quoted where SQL needs it: what a person can paste into psql. */
  display: string;
  /** 'r' a table, 'p' a partitioned table published through its root. */
  relkind: string;
  /** The published columns, in the source's column order. */
  columns: { name: string }[];
  /** null: no primary key nor unique not-null index; the table is compared whole. */
  key: { columns: KeyColumn[]; via: string } | null;
  /** The publication's row filter as the server deparses it (PostgreSQL 15+), applied to the source side. */
  rowFilter: string | null;
  estimatedRows: number;
}

/** Text of each key column, as PostgreSQL prints it. */
export type KeyValue = string[];

/** Keys k with lower <= k < upper; a missing bound is open. */
export interface KeyRange {
  lower: KeyValue | null;
  upper: KeyValue | null;
}

// One statement for the whole publication. pg_publication_tables grew
// attnames and rowfilter in 15; to_jsonb() reads them where they exist and
// yields NULL before. The key is the primary key, else the replica identity
// index, else the narrowest other unique index: non-partial, on plain columns
// that are all NOT NULL and all published, so every row has exactly one key
// and the node has it too. pg_partition_tree() is empty for a plain table,
// hence the table itself besides it.
const TABLES_SQL = `
WITH pt AS (
  SELECT p.schemaname, p.tablename,
         to_jsonb(p) -> 'attnames' AS attnames,
         to_jsonb(p) ->> 'rowfilter' AS rowfilter,
         c.oid AS rel, c.relkind::text AS relkind
    FROM pg_catalog.pg_publication_tables p
    JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
   WHERE p.pubname = $1
), published AS (
  SELECT pt.rel, a.attnum, a.attname, a.attnotnull, a.atttypid, a.attcollation
    FROM pt JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.rel
   WHERE a.attnum > 0 AND NOT a.attisdropped
     AND (pt.attnames IS NULL OR jsonb_typeof(pt.attnames) <> 'array' OR pt.attnames ? a.attname::text)
)
SELECT pt.schemaname, pt.tablename, pt.relkind, pt.rowfilter,
       (SELECT json_agg(json_build_object('name', pc.attname) ORDER BY pc.attnum) FROM published pc WHERE pc.rel = pt.rel) AS columns,
       (SELECT json_build_object(
                 'via', CASE WHEN i.indisprimary THEN 'primary key'
                             WHEN i.indisreplident THEN 'replica identity index ' || ic.relname
                             ELSE 'unique index ' || ic.relname END,
                 'columns', (SELECT json_agg(json_build_object(
                                  'name', pc.attname,
                                  'type', json_build_object('schema', tn.nspname, 'name', ty.typname),
                                  'arrayType', CASE WHEN aty.oid IS NULL THEN NULL
                                                    ELSE json_build_object('schema', atn.nspname, 'name', aty.typname) END,
                                  'collation', CASE WHEN pc.attcollation IN (0, 100) THEN NULL
                                                    ELSE json_build_object('schema', cn.nspname, 'name', co.collname) END)
                                ORDER BY k.n)
                               FROM generate_series(0, i.indnkeyatts - 1) k(n)
                               JOIN published pc ON pc.rel = i.indrelid AND pc.attnum = i.indkey[k.n]
                               JOIN pg_catalog.pg_type ty ON ty.oid = pc.atttypid
                               JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
                               LEFT JOIN pg_catalog.pg_type aty ON aty.oid = ty.typarray
                               LEFT JOIN pg_catalog.pg_namespace atn ON atn.oid = aty.typnamespace
                               LEFT JOIN pg_catalog.pg_collation co ON co.oid = pc.attcollation
                               LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace))
          FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indrelid = pt.rel AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
           AND (SELECT count(*) FROM generate_series(0, i.indnkeyatts - 1) k(n)
                  JOIN published pc ON pc.rel = i.indrelid AND pc.attnum = i.indkey[k.n] AND pc.attnotnull) = i.indnkeyatts
         ORDER BY i.indisprimary DESC, i.indisreplident DESC, i.indnkeyatts, i.indexrelid
         LIMIT 1) AS key,
       (SELECT coalesce(sum(CASE WHEN c.reltuples >= 0 THEN c.reltuples
                                 ELSE pg_catalog.pg_relation_size(c.oid) / 100 END), 0)
          FROM pg_catalog.pg_class c
         WHERE c.oid = pt.rel OR c.oid IN (SELECT relid FROM pg_catalog.pg_partition_tree(pt.rel)))::float8 AS estimated_rows
  FROM pt
 ORDER BY 1, 2`;

/** The tables of a publication on the source, in name order. */
export async function readPublishedTables(source: pg.Client, publication: string): Promise<TableShape[]> {
  const r = await source.query(TABLES_SQL, [publication]);
  return r.rows.map((row) => ({
    schema: row.schemaname,
    name: row.tablename,
    display: `${quoteIdent(row.schemaname)}.${quoteIdent(row.tablename)}`,
    relkind: row.relkind,
    columns: row.columns ?? [],
    key: row.key?.columns?.length ? row.key : null,
    rowFilter: row.rowfilter ?? null,
    estimatedRows: Math.max(0, Number(row.estimated_rows) || 0),
  }));
}

/** Whether a publication exists on the source (an empty one is not an error, a missing one is). */
export async function publicationExists(source: pg.Client, publication: string): Promise<boolean> {
  return (await source.query('SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1', [publication])).rowCount === 1;
}

/** Tables compared the same way for several nodes: same columns, key and filter. */
export function shapeSignature(t: TableShape): string {
  return JSON.stringify([t.schema, t.name, t.columns, t.key, t.rowFilter]);
}
