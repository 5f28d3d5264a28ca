// What the catalogs say about a `migrate ddl` statement: where an unqualified
// name lives, a column's current type, and whether a statement's effect is
// already there on a database (a rerun after a kill between the DDL and its
// journal entry must not run it twice). Schema and name travel apart, as
// query parameters.
import type pg from 'pg';
import type { CatalogType, DdlStatement, TypeSpec } from '../ddl/classify.js';

export type Effect = 'present' | 'absent' | 'partial' | 'invalid-index';

const RELATION_SQL = `SELECT c.oid, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`;

/** The schema an unqualified name means on this database: current_schema() for what is created, the visible relation's for what exists. */
export async function resolveSchema(client: pg.ClientBase, st: DdlStatement): Promise<string | undefined> {
  if (st.relation.schema !== null) return st.relation.schema;
  if (st.action === 'create-table' || st.action === 'create-sequence') {
    return (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0].s ?? undefined;
  }
  const r = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND pg_catalog.pg_table_is_visible(c.oid)`,
    [st.relation.name],
  );
  return r.rows[0]?.nspname;
}

/** Whether the statement's effect is on this database already. */
export async function readEffect(client: pg.ClientBase, st: DdlStatement): Promise<Effect> {
  const schema = st.relation.schema!;
  const rel = (await client.query<{ oid: number; relkind: string }>(RELATION_SQL, [schema, st.relation.name])).rows[0];
  switch (st.action) {
    case 'create-table':
    case 'create-sequence':
    case 'drop-table':
    case 'drop-index':
    case 'drop-sequence':
      return rel ? 'present' : 'absent';
    case 'create-index': {
      const i = await client.query<{ indisvalid: boolean }>(`SELECT i.indisvalid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, [schema, st.index]);
      if (!i.rows.length) return 'absent';
      return i.rows[0].indisvalid ? 'present' : 'invalid-index';
    }
    case 'set-default':
      // Setting a default again changes nothing: always run.
      return 'absent';
    case 'widen-column': {
      const t = await columnType(client, schema, st.relation.name, st.columns![0]);
      return t && sameType(t, st.newType!) ? 'present' : 'absent';
    }
    case 'add-column':
    case 'drop-column': {
      if (!rel) return 'absent';
      const r = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attname = ANY($2::text[]) AND attnum > 0 AND NOT attisdropped', [rel.oid, st.columns]);
      const n = r.rows[0].n;
      return n === 0 ? 'absent' : n === st.columns!.length ? 'present' : 'partial';
    }
  }
}

export async function columnType(client: pg.ClientBase, schema: string, table: string, column: string): Promise<CatalogType | undefined> {
  const r = await client.query<CatalogType>(
    `SELECT t.typname, a.atttypmod AS typmod
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table, column],
  );
  return r.rows[0];
}

/** The catalog's typmod for a type as written: varchar(n) is n + 4, numeric(p, s) ((p << 16) | s) + 4. */
export function sameType(t: CatalogType, spec: TypeSpec): boolean {
  if (t.typname !== spec.name) return false;
  if (!spec.mods.length) return t.typmod === -1;
  if (spec.name === 'numeric') return t.typmod === ((spec.mods[0] << 16) | (spec.mods[1] ?? 0)) + 4;
  if (spec.name === 'varchar' || spec.name === 'bpchar') return t.typmod === spec.mods[0] + 4;
  return false;
}

/** Columns of the table in its replica identity (the primary key's, or REPLICA IDENTITY USING INDEX's). */
export async function replicaIdentityColumns(client: pg.ClientBase, schema: string, table: string): Promise<string[]> {
  const r = await client.query<{ attname: string }>(
    `SELECT a.attname
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_index i ON i.indrelid = c.oid
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      WHERE n.nspname = $1 AND c.relname = $2
        AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))`,
    [schema, table],
  );
  return r.rows.map((x) => x.attname);
}

/** Whether the index is its table's REPLICA IDENTITY USING INDEX. */
export async function isReplicaIdentityIndex(client: pg.ClientBase, schema: string, index: string): Promise<boolean> {
  const r = await client.query(`SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND i.indisreplident`, [schema, index]);
  return r.rowCount! > 0;
}

/** Columns of a table that are NOT NULL without a default: a row that lacks them cannot be inserted. */
export async function requiredColumns(client: pg.ClientBase, schema: string, table: string, columns: string[]): Promise<string[]> {
  const r = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = ANY($3::text[]) AND a.attnotnull AND NOT a.atthasdef AND NOT a.attisdropped`,
    [schema, table, columns],
  );
  return r.rows.map((x) => x.attname);
}
