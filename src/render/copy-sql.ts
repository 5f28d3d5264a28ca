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

export function copyOutSql(t: TableName): string {
  // Without a column list COPY leaves out generated columns on both sides, as pg_dump does.
  return `COPY ${qualified(t)} TO STDOUT`;
}

/**
 * The node side of one table, in one transaction: a table cut off earlier is
 * emptied, and the TRUNCATE in the same transaction is what allows FREEZE (the
 * rows are written already frozen, so the node never rewrites them to vacuum).
 * No foreign key points at the table yet: those are post-data.
 */
export function copyInSql(t: TableName): { before: string; copy: string } {
  return { before: `BEGIN; TRUNCATE ONLY ${qualified(t)}`, copy: `COPY ${qualified(t)} FROM STDIN WITH (FREEZE)` };
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
 */
export const LIST_RELATIONS_SQL = `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
       pg_table_size(c.oid)::bigint AS bytes, greatest(c.reltuples, 0)::bigint AS rows_estimate
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
