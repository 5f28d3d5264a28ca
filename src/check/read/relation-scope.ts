// Which relations the publication carries and the dump holds, as SQL over
// pg_class c and pg_namespace n: every reader of the source uses the same scope.
import { quoteLiteral } from '../../render/quote.js';
import type { CheckContext } from '../context.js';
import { planTableName } from '../../plan/table-name.js';
import { TOOL_SCHEMA } from '../../pg/ddl-log.js';

export interface Scope {
  where: string;
  params: unknown[];
}

// The DDL guard's schema is the tool's own: never published, dumped or compared.
const SYSTEM_SCHEMA = `(%n.nspname IN ('pg_catalog', 'information_schema', ${quoteLiteral(TOOL_SCHEMA)}) OR %n.nspname ~ '^pg_(toast|temp_|toast_temp_)')`;
const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = %table::regclass AND d.objid = %oid AND d.deptype = 'e')`;

export function systemSchema(n: string): string {
  return SYSTEM_SCHEMA.replaceAll('%n', n);
}

export function notExtensionMember(catalog: string, oid: string): string {
  return NOT_EXTENSION_MEMBER.replace('%table', quoteLiteral(catalog)).replace('%oid', oid);
}

/** publish.tables as two parallel arrays, schema and name, for unnest($1, $2). */
function tableParams(tables: string[]): [string[], string[]] {
  return [tables.map((t) => planTableName(t).schema), tables.map((t) => planTableName(t).name)];
}

/** The published relations, with their parameters ($1, $2). FOR TABLE on a partitioned table publishes its partitions. */
export function relationScope(ctx: CheckContext, versionNum: number): Scope {
  const { publish } = ctx.plan;
  const member = notExtensionMember('pg_class', 'c.oid');
  if (publish.tables) {
    const listedPair = `(%n.nspname, %c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;
    const direct = listedPair.replaceAll('%n', 'n').replaceAll('%c', 'c');
    const viaParent =
      versionNum >= 120000
        ? ` OR EXISTS (SELECT 1 FROM pg_partition_ancestors(c.oid) a JOIN pg_class ac ON ac.oid = a.relid JOIN pg_namespace an ON an.oid = ac.relnamespace WHERE ${listedPair.replaceAll('%n', 'an').replaceAll('%c', 'ac')})`
        : '';
    return { where: `(${direct}${viaParent}) AND ${member}`, params: tableParams(publish.tables) };
  }
  if (publish.schemas) return { where: `n.nspname = ANY ($1::text[]) AND ${member}`, params: [publish.schemas] };
  return { where: `NOT ${systemSchema('n')} AND ${member}`, params: [] };
}

/** Sequences the dump holds: those of the scope, and with publish.tables those the listed tables own (serial, identity). */
export function sequenceScope(ctx: CheckContext): Scope {
  const { publish } = ctx.plan;
  const member = notExtensionMember('pg_class', 'c.oid');
  if (publish.tables) {
    return {
      where: `EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                       AND (tn.nspname, t.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))) AND ${member}`,
      params: tableParams(publish.tables),
    };
  }
  if (publish.schemas) return { where: `n.nspname = ANY ($1::text[]) AND ${member}`, params: [publish.schemas] };
  return { where: `NOT ${systemSchema('n')} AND ${member}`, params: [] };
}
