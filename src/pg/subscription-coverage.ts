// What a node's subscription covers against what its publication carries:
// read from the source (pg_publication_tables and the tables' columns) and the
// node (pg_subscription_rel, the same tables' columns there). A table created
// on the source after the subscription is in the publication, not in
// pg_subscription_rel: the node silently discards every change to it until
// ALTER SUBSCRIPTION ... REFRESH PUBLICATION. verify/coverage-gaps.ts judges.
import type pg from 'pg';
import { quoteName } from '../render/quote.js';
import { TOOL_SCHEMA } from './ddl-log.js';

export interface ColumnFact {
  name: string;
  /** format_type(), for people and for the statements that fix a difference. */
  type: string;
  /** The type's schema, name and typmod: what is compared. */
  type_key: [string, string, number];
  not_null: boolean;
  /** The default's expression, as the server deparses it. */
  default: string | null;
  /** A default, identity or generated column: a row without a value for it still gets one. */
  fills_itself: boolean;
  /** attgenerated ('s': stored) and attidentity ('a' always, 'd' by default); '' when neither. */
  generated?: string;
  identity?: string;
  /** The source's column is in what the publication sends (not generated, in its column list); true on a node. */
  sent?: boolean;
}

export interface TableFact {
  schema: string;
  name: string;
  columns: ColumnFact[];
}

export interface NodeTableFact extends TableFact {
  /** Read only for a published table the subscription does not know. */
  has_rows: boolean | null;
}

export interface CoverageFacts {
  subscription_exists: boolean;
  /** The tables the publication carries, with their published columns (generated ones are never sent). */
  published: TableFact[];
  /** pg_subscription_rel: the tables the subscription knows, and the state of each one's initial copy. */
  subscribed: { schema: string; name: string; state: string }[];
  /** The published tables as the node has them; a published table absent here does not exist on the node. */
  node_tables: NodeTableFact[];
}

const COLUMNS = `coalesce((SELECT json_agg(json_build_object(
           'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
           'type_key', json_build_array(tn.nspname, t.typname, a.atttypmod),
           'not_null', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
           'fills_itself', a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
           'generated', a.attgenerated::text, 'identity', a.attidentity::text, 'sent', %SENT%) ORDER BY a.attnum)
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]')`;

// Every column of the source's table (a node's table should have them all),
// each marked whether the publication sends it: generated columns never are,
// nor those outside a column list (attnames, PostgreSQL 15+, read through
// to_jsonb(): NULL before 15). The tool's own schema is never compared.
const PUBLISHED_SQL = `
SELECT p.schemaname AS schema, p.tablename AS name,
       ${COLUMNS.replace('%SENT%', `(a.attgenerated = ''
         AND (to_jsonb(p) -> 'attnames' IS NULL OR jsonb_typeof(to_jsonb(p) -> 'attnames') <> 'array' OR (to_jsonb(p) -> 'attnames') ? a.attname::text))`)} AS columns
  FROM pg_catalog.pg_publication_tables p
  JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
 WHERE p.pubname = $1 AND p.schemaname <> $2
 ORDER BY 1, 2`;

const NODE_TABLES_SQL = `
SELECT w.schema, w.name, ${COLUMNS.replace('%SENT%', 'true')} AS columns
  FROM unnest($1::text[], $2::text[]) AS w(schema, name)
  JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p')`;

const THIS_DATABASE = 's.subname = $1 AND s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())';

const SUBSCRIBED_SQL = `
SELECT n.nspname AS schema, c.relname AS name, sr.srsubstate::text AS state
  FROM pg_catalog.pg_subscription s
  JOIN pg_catalog.pg_subscription_rel sr ON sr.srsubid = s.oid
  JOIN pg_catalog.pg_class c ON c.oid = sr.srrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${THIS_DATABASE}
 ORDER BY 1, 2`;

const key = (t: { schema: string; name: string }) => JSON.stringify([t.schema, t.name]);

export async function readCoverageFacts(source: pg.Client, node: pg.Client, publication: string, subscription: string): Promise<CoverageFacts> {
  const exists = (await node.query(`SELECT 1 FROM pg_catalog.pg_subscription s WHERE ${THIS_DATABASE}`, [subscription])).rowCount === 1;
  if (!exists) return { subscription_exists: false, published: [], subscribed: [], node_tables: [] };
  const published = (await source.query<TableFact>(PUBLISHED_SQL, [publication, TOOL_SCHEMA])).rows;
  const subscribed = (await node.query<{ schema: string; name: string; state: string }>(SUBSCRIBED_SQL, [subscription])).rows;
  const found = (await node.query<TableFact>(NODE_TABLES_SQL, [published.map((t) => t.schema), published.map((t) => t.name)])).rows;
  const known = new Set(subscribed.map(key));
  const unknown = found.filter((t) => !known.has(key(t)));
  // Whether the node's copy of an unknown table is empty decides its fix: a
  // copy onto rows would collide with them (or double them).
  const hasRows = new Map<string, boolean>();
  for (let at = 0; at < unknown.length; at += 50) {
    const chunk = unknown.slice(at, at + 50);
    const row = (await node.query(`SELECT ${chunk.map((t, i) => `EXISTS (SELECT 1 FROM ${quoteName(t.schema, t.name)}) AS r${i}`).join(', ')}`)).rows[0];
    chunk.forEach((t, i) => hasRows.set(key(t), row[`r${i}`]));
  }
  return {
    subscription_exists: true,
    published,
    subscribed,
    node_tables: found.map((t) => ({ ...t, has_rows: hasRows.get(key(t)) ?? null })),
  };
}

/**
 * Only the published tables the subscription does not know, by name: what the
 * frozen source can still hide. A column or a table missing on the node
 * stops the node's worker, so the drain cannot pass with one; a table the
 * subscription does not know lets it pass while its changes are discarded.
 */
export async function readUnsubscribedTables(source: pg.Client, node: pg.Client, publication: string, subscription: string): Promise<{ schema: string; name: string }[]> {
  const [published, subscribed] = await Promise.all([
    source.query<{ schema: string; name: string }>('SELECT schemaname AS schema, tablename AS name FROM pg_catalog.pg_publication_tables WHERE pubname = $1 AND schemaname <> $2', [publication, TOOL_SCHEMA]),
    node.query<{ schema: string; name: string }>(SUBSCRIBED_SQL, [subscription]),
  ]);
  const known = new Set(subscribed.rows.map(key));
  return published.rows.filter((t) => !known.has(key(t)));
}
