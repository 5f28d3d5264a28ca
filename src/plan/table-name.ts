// publish.tables entries are written `schema.table`; the plan's schema allows
// no dot inside either part, so this one split is exact. Every other name
// travels as its two parts, from the catalog to quoteName().

export interface TableName {
  schema: string;
  name: string;
}

export function planTableName(entry: string): TableName {
  const dot = entry.indexOf('.');
  return { schema: entry.slice(0, dot), name: entry.slice(dot + 1) };
}
