// The SQL and commands of copy.method stream, as the runbook shows them and the
// copy runs them. Schema and name stay apart until quoted here.
import { nodeSessionOptions } from './spock-local-ddl.js';
import type { ResolvedPlan } from '../plan/plan.js';
import { connection, toolPath, type Command } from './commands.js';
import { quoteIdent, quoteLiteral, quoteQualified } from './quote.js';
import { TOOL_SCHEMA } from '../pg/ddl-log.js';

export interface TableName {
  schema: string;
  name: string;
}

export function qualified(t: TableName): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

/** The source transaction every copy reads in: exactly the anchor's snapshot, and nothing it could change. */
export function snapshotTransaction(snapshot: string): string[] {
  return ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', `SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`];
}

/** Pages [from, to) of a table; null is open-ended (the first range starts at 0, the last runs to the end, whatever the table's size by then). */
export interface PageRange {
  from: number | null;
  to: number | null;
}

/** What one COPY carries: a whole table, or one ctid range of it; in binary where both sides allow it. */
export interface CopyUnit extends TableName {
  /** The columns COPY carries without a column list: not dropped, not generated, in order. */
  columns: string[];
  binary: boolean;
  range?: PageRange;
}

/** A TID range scan (PostgreSQL 14+): reads only the pages of the range, not the whole table. */
export function ctidCondition(r: PageRange): string {
  const parts: string[] = [];
  if (r.from !== null) parts.push(`ctid >= '(${r.from},0)'::tid`);
  if (r.to !== null) parts.push(`ctid < '(${r.to},0)'::tid`);
  return parts.join(' AND ') || 'true';
}

function formatOption(u: { binary: boolean }): string {
  return u.binary ? ' (FORMAT binary)' : '';
}

export function copyOutSql(u: CopyUnit): string {
  // Without a column list COPY leaves out generated columns on both sides, as pg_dump does.
  if (!u.range) return `COPY ${qualified(u)} TO STDOUT${formatOption(u)}`;
  // ONLY: a SELECT on an inheritance parent would also read its children, which are copied on their own.
  return `COPY (SELECT ${u.columns.map(quoteIdent).join(', ')} FROM ONLY ${qualified(u)} WHERE ${ctidCondition(u.range)}) TO STDOUT${formatOption(u)}`;
}

/**
 * The node side of one unit, in one transaction. A whole table: emptied first
 * (one cut off earlier is redone), and the TRUNCATE in the same transaction is
 * what allows FREEZE (the rows are written already frozen, so the node never
 * rewrites them to vacuum). A range: the table was emptied once before its
 * ranges started (splitTablesTruncateSql), and several ranges write into it at
 * once, so none can FREEZE. No foreign key points at the table yet: those are
 * post-data.
 */
export function copyInSql(u: CopyUnit): { before: string; copy: string } {
  if (!u.range) return { before: `BEGIN; TRUNCATE ONLY ${qualified(u)}`, copy: `COPY ${qualified(u)} FROM STDIN WITH (${u.binary ? 'FORMAT binary, ' : ''}FREEZE)` };
  return { before: 'BEGIN', copy: `COPY ${qualified(u)} (${u.columns.map(quoteIdent).join(', ')}) FROM STDIN${formatOption(u)}` };
}

/** Empties the tables that are copied in ranges, on a node, before any of their ranges starts. */
export function splitTablesTruncateSql(tables: TableName[]): string {
  return `TRUNCATE ONLY ${tables.map(qualified).join(', ')}`;
}

/** The plan's `publish.tables` entries as schema and name, split once as quoteQualified reads them. */
function publishedTables(plan: ResolvedPlan): TableName[] | null {
  if (!plan.publish.tables) return null;
  return plan.publish.tables.map((t) => {
    const dot = t.indexOf('.');
    return dot < 0 ? { schema: 'public', name: t } : { schema: t.slice(0, dot), name: t.slice(dot + 1) };
  });
}

/**
 * The relations whose data pg_dump would carry for this plan: ordinary tables
 * (partitions are copied leaf by leaf; a partitioned parent holds no rows),
 * unlogged ones too, not temporary ones, not an extension's own, not the
 * DDL guard's (an older run's, excluded from the schema dump too). Sequences
 * (relkind S) for their values. $1 schemas, $2/$3 schemas and names of tables.
 * builtin_types: every column copied is of a type below FirstNormalObjectId
 * (16384), whose OID and binary form are fixed for a major version, and has a
 * binary send and receive: binary COPY is then read the same on a node of that
 * major version. A user's type (domain, enum, composite, an extension's) has
 * an OID of its cluster, which binary arrays and records carry.
 */
export const LIST_RELATIONS_SQL = `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
       pg_table_size(c.oid)::bigint AS bytes, greatest(c.reltuples, 0)::bigint AS rows_estimate,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::bigint AS pages,
       coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), '{}') AS columns,
       NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                      AND (t.oid >= 16384 OR t.typsend::oid = 0 OR t.typreceive::oid = 0)) AS builtin_types
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'S') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', ${quoteLiteral(TOOL_SCHEMA)}) AND n.nspname !~ '^pg_(toast|temp)'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
   AND ($1::text[] IS NULL OR n.nspname = ANY ($1))
   AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
 ORDER BY pg_table_size(c.oid) DESC, 1, 2`;

export function listRelationsParams(plan: ResolvedPlan): [string[] | null, string[] | null, string[] | null] {
  const tables = publishedTables(plan);
  return [plan.publish.schemas ?? null, tables?.map((t) => t.schema) ?? null, tables?.map((t) => t.name) ?? null];
}

/** Large objects go with the data only when the whole database is copied, as pg_dump includes them only then. */
export function copiesLargeObjects(plan: ResolvedPlan): boolean {
  return !plan.publish.schemas && !plan.publish.tables;
}

export function sequenceValueSql(t: TableName): string {
  return `SELECT last_value::text AS last_value, is_called FROM ${qualified(t)}`;
}

/** The schema only, at the snapshot: a few kB in the dump directory; the data goes by COPY. */
export function schemaDumpCommand(plan: ResolvedPlan, dir: string, snapshot: string): Command {
  const c = connection(plan.source.dsn);
  const argv = [`--dbname=${c.dbname}`, `--snapshot=${snapshot}`, '--format=directory', '--section=pre-data', '--section=post-data', `--file=${dir}`, '--no-publications', '--no-subscriptions', `--exclude-schema=${TOOL_SCHEMA}`, '--verbose'];
  // As in dumpCommand: quoted, the patterns match exactly the published names.
  for (const s of plan.publish.schemas ?? []) argv.push(`--schema=${quoteIdent(s)}`);
  for (const t of plan.publish.tables ?? []) argv.push(`--table=${quoteQualified(t)}`);
  return { program: toolPath(plan, 'pg_dump'), argv, env: c.env };
}

/** pg_restore of one section of the schema dump onto a node; post-data builds indexes and constraints in parallel. */
export function sectionRestoreCommand(plan: ResolvedPlan, node: string, dir: string, section: 'pre-data' | 'post-data'): Command {
  const n = plan.nodes.find((x) => x.name === node)!;
  // On a pgEdge node Spock must not carry this node's CREATEs to the others, which restore the same schema.
  const c = connection(n.dsn, nodeSessionOptions(n));
  const argv = [`--dbname=${c.dbname}`, '--format=directory', `--section=${section}`, '--exit-on-error', '--verbose'];
  if (section === 'post-data') argv.push(`--jobs=${plan.restore.jobs}`);
  if (plan.restore.no_owner) argv.push('--no-owner');
  if (plan.restore.no_privileges) argv.push('--no-privileges');
  argv.push(dir);
  return { program: toolPath(plan, 'pg_restore'), argv, env: c.env };
}
