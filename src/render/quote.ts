// The only place identifiers and literals become SQL text. Both follow
// PostgreSQL's quote_ident and quote_literal, so what the runbook shows is what
// the server would have produced itself.

// quote_ident leaves a name bare only when it is lower case letters, digits
// and underscores, not starting with a digit. '$' is legal in a bare name but
// quote_ident quotes it all the same (ruleutils.c quote_identifier).
const SAFE_IDENT = /^[a-z_][a-z0-9_]*$/;

// Words that quote_ident() quotes even when lower case (every keyword that is
// not unreserved: pg_get_keywords() where catcode <> 'U'); a bare one would not
// parse as a name. PostgreSQL 15's list plus those 16 added (system_user,
// json_*), so the SQL parses on either; quoting one of those on 15 is harmless.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema current_time ' +
    'current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze ' +
    'from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit ' +
    'localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references ' +
    'returning right select session_user similar some symmetric system_user table tablesample then to trailing true union ' +
    'unique user using variadic verbose when where window with between bigint bit boolean char character coalesce dec ' +
    'decimal exists extract float greatest grouping inout int integer interval json_array json_arrayagg json_object ' +
    'json_objectagg least national nchar none normalize nullif numeric out overlay position precision real row setof ' +
    'smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest ' +
    'xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

export function quoteIdent(name: string): string {
  if (SAFE_IDENT.test(name) && !RESERVED.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A schema-qualified name from its two parts, each quoted. Catalogs give the
 * parts apart: keep them apart up to here, since either may hold a dot.
 */
export function quoteName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** `schema.table` as written in a plan (whose format allows no dot inside a part), each part quoted. */
export function quoteQualified(qualified: string): string {
  const dot = qualified.indexOf('.');
  if (dot < 0) return quoteIdent(qualified);
  return `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}

export function quoteLiteral(value: string): string {
  const doubled = value.replaceAll("'", "''");
  // quote_literal switches to E'' only when a backslash is present.
  if (value.includes('\\')) return `E'${doubled.replaceAll('\\', '\\\\')}'`;
  return `'${doubled}'`;
}
