// --from-stats N: the source's top N read statements by total time in
// pg_stat_statements, each $n filled from a sample of the column it is
// compared with. Approximate by nature: the statistics keep no values.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';
import { OperationError } from '../errors.js';
import type { Generator } from './queries.types.js';
import { whyNotReadOnly } from './read-only.js';
import { statementParams, type ParamMeaning, type RelationRef } from './stats-params.js';
import type { CompareQuery } from './query.js';

const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

export async function queriesFromStats(source: pg.Client, n: number): Promise<{ queries: CompareQuery[]; notes: string[] }> {
  const ext = await source.query<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`);
  if (!ext.rows.length) {
    throw new OperationError('--from-stats: pg_stat_statements is not installed in the source database', 'Add pg_stat_statements to shared_preload_libraries and CREATE EXTENSION pg_stat_statements, or list the queries in a file named by compare.queries.');
  }
  const rows = await source.query<{ query: string; calls: number }>(
    `SELECT query, calls::float8 AS calls FROM ${quoteIdent(ext.rows[0].schema)}.pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
      ORDER BY total_exec_time DESC LIMIT 1000`,
  );
  const queries: CompareQuery[] = [];
  const notes: string[] = [];
  for (const row of rows.rows) {
    if (queries.length >= n) break;
    if (whyNotReadOnly(row.query) !== undefined) continue;
    const { relations, params, count } = statementParams(row.query);
    if (!relations.length || relations.some((r) => r.table.startsWith('pg_') || CATALOG_SCHEMAS.has(r.schema ?? ''))) continue;
    const name = `stats_${queries.length + 1}`;
    const generators: NonNullable<Generator>[] = [];
    for (let i = 1; i <= count; i++) {
      const g = await generatorFor(source, params.get(i), relations);
      if (!g) break;
      generators.push(g);
    }
    if (generators.length < count) {
      notes.push(`--from-stats: skipped a statement whose parameters could not all be matched to a column: ${oneLine(row.query)}`);
      continue;
    }
    queries.push({ name, sql: row.query, text: row.query, params: generators, calls: row.calls });
  }
  if (!queries.length) throw new OperationError('--from-stats: pg_stat_statements holds no read statement on user tables to compare', 'Run the application (or a representative load) against the source first, or list the queries in a file named by compare.queries.');
  notes.push(`--from-stats: ${queries.length} statement${queries.length === 1 ? '' : 's'} from pg_stat_statements, parameters sampled from their columns: an approximation of the real workload`);
  return { queries, notes };
}

async function generatorFor(source: pg.Client, meaning: ParamMeaning | undefined, relations: RelationRef[]): Promise<NonNullable<Generator> | undefined> {
  if (!meaning) return undefined;
  if ('limit' in meaning) return { value: 100 };
  if ('offset' in meaning) return { value: 0 };
  const candidates = meaning.qualifier ? relations.filter((r) => r.alias === meaning.qualifier) : relations;
  for (const r of candidates) {
    const found = await source.query<{ schema: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
       WHERE c.oid = to_regclass($1)`,
      [r.schema ? `${quoteIdent(r.schema)}.${quoteIdent(r.table)}` : quoteIdent(r.table), meaning.column],
    );
    if (found.rows.length) return { sample: { schema: found.rows[0].schema, table: found.rows[0].table, column: meaning.column, size: 1000 } };
  }
  return undefined;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 120);
