// Columns a node holds wider than the source does: Snowflake's conversion
// turns a 4-byte key (and the keys referencing it) into bigint on the nodes.
// Forward that is harmless; a fallback stream would carry the nodes' Snowflake
// ids back into the source's narrower columns, and stop at the first one.
import type pg from 'pg';

export interface NarrowColumn {
  schema: string;
  table: string;
  column: string;
  /** The source's type (integer, smallint). */
  type: string;
}

const COLUMNS = `SELECT c.table_schema AS schema, c.table_name AS table, c.column_name AS column, c.data_type AS type
  FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
 WHERE t.table_type = 'BASE TABLE' AND c.data_type = ANY ($1)
   AND c.table_schema NOT IN ('pg_catalog', 'information_schema', 'spock', 'snowflake', 'pglogical')`;

/** Columns that are bigint on `node` and integer or smallint on the source. */
export async function narrowerOnSource(source: pg.Client, node: pg.Client): Promise<NarrowColumn[]> {
  const wide = new Set((await node.query<NarrowColumn>(COLUMNS, [['bigint']])).rows.map((c) => JSON.stringify([c.schema, c.table, c.column])));
  return (await source.query<NarrowColumn>(`${COLUMNS} ORDER BY 1, 2, 3`, [['integer', 'smallint']])).rows.filter((c) => wide.has(JSON.stringify([c.schema, c.table, c.column])));
}

/** The sequences of the source, not bigint, that feed one of `columns` (serial makes them integer). */
export async function narrowSequencesFeeding(source: pg.Client, columns: NarrowColumn[]): Promise<{ schema: string; name: string }[]> {
  if (!columns.length) return [];
  const r = await source.query<{ schema: string; name: string }>(
    `SELECT DISTINCT sn.nspname AS schema, s.relname AS name
       FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid
       JOIN pg_depend d ON d.refobjid = s.oid AND d.refclassid = 'pg_class'::regclass
       JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
       JOIN pg_class t ON t.oid = ad.adrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
       JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
      WHERE q.seqtypid <> 'int8'::regtype AND (tn.nspname, t.relname, a.attname) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
      ORDER BY 1, 2`,
    [columns.map((c) => c.schema), columns.map((c) => c.table), columns.map((c) => c.column)],
  );
  return r.rows;
}

/** Which of `columns`' tables have a column a sequence feeds (a serial key), quoted schema.table as ALTER TABLE names them. */
export async function narrowFedTables(source: pg.Client, columns: NarrowColumn[]): Promise<string[]> {
  const r = await source.query<{ t: string }>(
    `SELECT DISTINCT format('%I.%I', c.table_schema, c.table_name) AS t
       FROM information_schema.columns c
      WHERE (c.column_default LIKE 'nextval(%' OR c.is_identity = 'YES')
        AND (c.table_schema, c.table_name, c.column_name) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
    [columns.map((c) => c.schema), columns.map((c) => c.table), columns.map((c) => c.column)],
  );
  return r.rows.map((x) => x.t);
}
