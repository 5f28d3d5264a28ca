// compare promises never to write. Two guards, either one enough on its own:
// every statement is parsed by PostgreSQL's own parser (libpg-query) and
// refused unless it is one plain read, and every session compare opens is
// default_transaction_read_only, so the server refuses what parsing cannot
// see (a function that writes, nextval()).
import { loadModule, parseSync, scanSync } from 'libpg-query';

let loaded: Promise<void> | undefined;

/** The parser is WebAssembly: loaded once, before the first parse. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

// Statement kinds that change data, wherever they appear in the tree
// (a data-modifying CTE hides a DELETE inside a SELECT).
const WRITING_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Why `sql` is not one plain read, or undefined when it is. The parser must be loaded. */
export function whyNotReadOnly(sql: string): string | undefined {
  let tree: { stmts?: { stmt: Record<string, unknown> }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch (e) {
    const at = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    return `does not parse: ${(e as Error).message}${at !== undefined ? ` (at character ${at + 1})` : ''}`;
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length !== 1) return `holds ${stmts.length} statements; give exactly one`;
  const [kind] = Object.keys(stmts[0].stmt);
  if (kind !== 'SelectStmt') return `is a ${statementName(kind)}, not a read (SELECT, VALUES, TABLE or WITH ... SELECT)`;
  return findWrite(stmts[0].stmt.SelectStmt);
}

function findWrite(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const why = findWrite(n);
      if (why) return why;
    }
    return undefined;
  }
  if (!node || typeof node !== 'object') return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (WRITING_NODES.has(key)) return `holds a ${statementName(key)} (a data-modifying WITH); compare only reads`;
    if (key === 'intoClause') return 'is a SELECT INTO, which creates a table; compare only reads';
    if (key === 'lockingClause') return 'locks rows (FOR UPDATE/SHARE), which blocks writers on the source; compare only reads';
    const why = findWrite(value);
    if (why) return why;
  }
  return undefined;
}

function statementName(kind: string): string {
  const m = /^(\w+?)Stmt$/.exec(kind);
  return m ? `${m[1].replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()} statement` : kind;
}

/**
 * `:name` parameters (pgbench's spelling) turned into `$1, $2...` in order of
 * first use. The scanner tells a parameter from a `::` cast and from text
 * inside a string literal or a comment.
 */
export function numberParameters(sql: string): { text: string; names: string[] } {
  const tokens = scanSync(sql).tokens;
  const names: string[] = [];
  let text = '';
  let copied = 0;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const colon = tokens[i];
    const name = tokens[i + 1];
    if (colon.text !== ':' || name.start !== colon.end || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name.text)) continue;
    let n = names.indexOf(name.text);
    if (n < 0) n = names.push(name.text) - 1;
    text += sql.slice(copied, colon.start) + `$${n + 1}`;
    copied = name.end;
    i++;
  }
  return { text: text + sql.slice(copied), names };
}
