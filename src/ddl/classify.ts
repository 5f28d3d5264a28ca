// What `migrate ddl` may run, and in which order, decided from PostgreSQL's
// own parse tree (libpg-query) before anything runs. Logical replication
// carries rows, not schema: a node must be able to take every row the source
// sends at every moment. Additive changes (a node with more than the source)
// go to the nodes first; removals (a node with more than the source again) to
// the source first. Anything that would make a node refuse a row, or hold a
// different value than the source, is refused with the manual procedure.
// Pure: the parser must be loaded (loadSqlParser) before classify runs.
import { parseSync } from 'libpg-query';

export type DdlKind = 'additive' | 'removal';

export type DdlAction =
  | 'add-column'
  | 'set-default'
  | 'widen-column'
  | 'create-table'
  | 'create-index'
  | 'create-sequence'
  | 'drop-column'
  | 'drop-table'
  | 'drop-index'
  | 'drop-sequence';

/** A relation as written: schema null when the statement leaves it to search_path. */
export interface RelationName {
  schema: string | null;
  name: string;
}

/** A type as the parser gives it: its internal name (int4, varchar, numeric...) and its modifiers. */
export interface TypeSpec {
  name: string;
  mods: number[];
}

export interface DdlStatement {
  /** 1-based position in the change. */
  n: number;
  /** The statement's own text, as written, without the trailing semicolon. */
  sql: string;
  kind: DdlKind;
  action: DdlAction;
  /** The table (or the index, or the sequence, for their own CREATE/DROP). */
  relation: RelationName;
  /** add-column, drop-column, widen-column, set-default: the columns concerned. */
  columns?: string[];
  /** create-index: the index, in the table's schema. */
  index?: string;
  /** CREATE/DROP INDEX CONCURRENTLY. */
  concurrent?: boolean;
  /** widen-column: the new type. */
  newType?: TypeSpec;
}

export interface Refusal {
  /** 1-based position of the statement refused. */
  n: number;
  statement: string;
  reason: string;
  /** What to do instead, by hand or with other `migrate ddl` changes. */
  procedure: string;
}

export type Classification = { ok: true; statements: DdlStatement[] } | { ok: false; refusal: Refusal };

type Node = Record<string, unknown>;
interface RawStmt {
  stmt: Record<string, Node>;
  stmt_location?: number;
  stmt_len?: number;
}

const AFTER_CUTOVER = 'or make the change after the cutover, when the nodes are the database';

/** Classifies every statement of `sql`; the first refusal stops it. */
export function classifyDdl(sql: string): Classification {
  let stmts: RawStmt[];
  try {
    stmts = ((parseSync(sql) as { stmts?: RawStmt[] }).stmts ?? []) as RawStmt[];
  } catch (e) {
    const at = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    return refuse(1, sql.trim(), `it does not parse: ${(e as Error).message}${at !== undefined ? ` (at character ${at + 1})` : ''}`, 'Correct the SQL and run the same command again.');
  }
  if (!stmts.length) return refuse(1, sql.trim(), 'there is no statement in it', 'Give the schema change with -c "SQL" or -f FILE.');
  const out: DdlStatement[] = [];
  for (const [i, raw] of stmts.entries()) {
    const text = statementText(sql, raw);
    const one = classifyOne(i + 1, text, raw.stmt);
    if ('reason' in one) return { ok: false, refusal: one };
    out.push(one);
  }
  const kinds = new Set(out.map((s) => s.kind));
  if (kinds.size > 1) {
    const removal = out.find((s) => s.kind === 'removal')!;
    return refuse(
      removal.n,
      removal.sql,
      'the change mixes additions (run on the nodes first) with removals (run on the source first), which need opposite orders',
      'Give them as two changes: first `migrate ddl` with the additions, then `migrate ddl` with the removals.',
    );
  }
  return { ok: true, statements: out };
}

function refuse(n: number, statement: string, reason: string, procedure: string): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { n, statement, reason, procedure } };
}

function statementText(sql: string, raw: RawStmt): string {
  const start = raw.stmt_location ?? 0;
  const text = raw.stmt_len ? sql.slice(start, start + raw.stmt_len) : sql.slice(start);
  return text.trim().replace(/;\s*$/, '').trim();
}

function classifyOne(n: number, sql: string, stmt: Record<string, Node>): DdlStatement | Refusal {
  const [type] = Object.keys(stmt);
  const node = stmt[type];
  const no = (reason: string, procedure: string): Refusal => ({ n, statement: sql, reason, procedure });
  switch (type) {
    case 'AlterTableStmt':
      return classifyAlterTable(n, sql, node, no);
    case 'CreateStmt':
      return classifyCreateTable(n, sql, node, no);
    case 'IndexStmt':
      return classifyCreateIndex(n, sql, node, no);
    case 'CreateSeqStmt': {
      const rel = relationOf(node.sequence as Node);
      if ((node.sequence as Node).relpersistence !== 'p') return no('a temporary or unlogged sequence is not the database\'s schema', 'Create it in the session that uses it.');
      return { n, sql, kind: 'additive', action: 'create-sequence', relation: rel };
    }
    case 'DropStmt':
      return classifyDrop(n, sql, node, no);
    case 'TransactionStmt':
      return no(
        'a transaction block cannot span the source and the nodes: `migrate ddl` runs each statement on its own, on every database, in the order that keeps replication running',
        'Give the statements without BEGIN/COMMIT; each is applied (and journaled) on its own.',
      );
    case 'RenameStmt':
      return no(
        'a rename: logical replication matches tables and columns by name, so between the rename on the source and on the nodes the apply worker stops at the first row',
        `Add the new column (or table) with \`migrate ddl\`, have the application write both, backfill it with UPDATE on the source (that replicates), then drop the old one with \`migrate ddl\`; ${AFTER_CUTOVER}.`,
      );
    case 'CreateTableAsStmt':
      return no(
        'CREATE TABLE ... AS fills the table with rows each server would compute on its own',
        'Create the table with a primary key through `migrate ddl`, then INSERT ... SELECT on the source only: the new table\'s rows are then copied to the nodes.',
      );
    default:
      return no(
        `pgedge-migrate cannot order a ${statementName(type)} safely between the source and the nodes`,
        `Run it on the source and on every node by hand, with each node's subscription disabled around it (ALTER SUBSCRIPTION ... DISABLE, then ENABLE), ${AFTER_CUTOVER}.`,
      );
  }
}

type No = (reason: string, procedure: string) => Refusal;

function classifyAlterTable(n: number, sql: string, node: Node, no: No): DdlStatement | Refusal {
  if (node.objtype !== 'OBJECT_TABLE') return no(`an ALTER ${String(node.objtype).replace('OBJECT_', '').replace('_', ' ')} is not one of the changes \`migrate ddl\` orders`, `Run it on the source and on every node by hand, ${AFTER_CUTOVER}.`);
  const relation = relationOf(node.relation as Node);
  const cmds = ((node.cmds as Node[]) ?? []).map((c) => c.AlterTableCmd as Node);
  const subtypes = new Set(cmds.map((c) => c.subtype));
  if (subtypes.size !== 1) return no('one ALTER TABLE holds different kinds of change', 'Give each kind of change as its own ALTER TABLE statement.');
  const [subtype] = subtypes;
  const columns: string[] = [];
  for (const cmd of cmds) {
    const why = alterCommandRefusal(cmd, no);
    if (why) return why;
    columns.push(String(cmd.subtype === 'AT_AddColumn' ? ((cmd.def as Node).ColumnDef as Node).colname : cmd.name));
  }
  if (subtype === 'AT_AddColumn') return { n, sql, kind: 'additive', action: 'add-column', relation, columns };
  if (subtype === 'AT_ColumnDefault') return { n, sql, kind: 'additive', action: 'set-default', relation, columns };
  if (subtype === 'AT_DropColumn') return { n, sql, kind: 'removal', action: 'drop-column', relation, columns };
  if (cmds.length > 1) return no('one ALTER TABLE changes the type of several columns', 'Give each type change as its own ALTER TABLE statement.');
  const type = typeSpec((cmds[0].def as Node).ColumnDef as Node);
  return { n, sql, kind: 'additive', action: 'widen-column', relation, columns, newType: type };
}

/** Why one command of an ALTER TABLE is refused, or undefined. */
function alterCommandRefusal(cmd: Node, no: No): Refusal | undefined {
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      return addColumnRefusal((cmd.def as Node).ColumnDef as Node, no);
    case 'AT_ColumnDefault':
      // A default fills only the inserts of the server it is set on; replicated rows carry their values.
      return undefined;
    case 'AT_DropColumn':
      if (cmd.behavior === 'DROP_CASCADE') return no('DROP COLUMN ... CASCADE drops what depends on the column, which may differ between the source and the nodes', 'Drop the dependent objects first (each with `migrate ddl`), then the column without CASCADE.');
      return undefined;
    case 'AT_AlterColumnType': {
      const def = (cmd.def as Node).ColumnDef as Node;
      if (def.raw_default) return no('ALTER COLUMN ... TYPE ... USING converts every row on each server on its own', `Add a new column of the new type with \`migrate ddl\`, backfill it with UPDATE on the source (that replicates), then drop the old one with \`migrate ddl\`; ${AFTER_CUTOVER}.`);
      if (def.collClause) return no('a type change with a new collation can change the order of a key', `Make it ${AFTER_CUTOVER.replace(/^or make the change /, '')}.`);
      return undefined;
    }
    case 'AT_AddConstraint':
    case 'AT_SetNotNull':
    case 'AT_ValidateConstraint':
      return no(
        'a constraint could hold on one side and fail on the other: a node that enforces what the source does not stops its apply worker at the first row that breaks it',
        'Add it on the source first (ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT), wait until every node has caught up (`migrate status`), then add it on each node; ' + AFTER_CUTOVER + '.',
      );
    default:
      return no(`ALTER TABLE ${String(cmd.subtype).replace(/^AT_/, '')} is not one of the changes \`migrate ddl\` orders`, `Run it on the source and on every node by hand, with each node's subscription disabled around it, ${AFTER_CUTOVER}.`);
  }
}

function addColumnRefusal(def: Node, no: No): Refusal | undefined {
  const col = String(def.colname);
  const constraints = ((def.constraints as Node[]) ?? []).map((c) => c.Constraint as Node);
  const dflt = constraints.find((c) => c.contype === 'CONSTR_DEFAULT');
  const typeName = typeSpec(def).name;
  if (['serial', 'serial4', 'serial8', 'bigserial', 'smallserial', 'serial2'].includes(typeName) || constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) {
    return volatileDefault(col, 'a sequence of each server', no);
  }
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED')) return no(`column ${col} is generated: each server computes it on its own`, `Add it ${AFTER_CUTOVER.replace(/^or make the change /, '')}, or as a plain column filled by UPDATE on the source.`);
  const other = constraints.find((c) => !['CONSTR_DEFAULT', 'CONSTR_NULL', 'CONSTR_NOTNULL'].includes(String(c.contype)));
  if (other) return no(`column ${col} comes with a constraint (${String(other.contype).replace('CONSTR_', '')}) that could hold on one side and fail on the other`, `Add the column without it through \`migrate ddl\`, then add the constraint on the source first (NOT VALID, then VALIDATE CONSTRAINT) and on each node once it has caught up; ${AFTER_CUTOVER}.`);
  if (dflt && !isConstant(dflt.raw_expr as Node)) return volatileDefault(col, 'an expression each server evaluates on its own', no);
  if (!dflt && constraints.some((c) => c.contype === 'CONSTR_NOTNULL')) {
    return no(`column ${col} is NOT NULL without a default: rows the source sends before it has the column would have none on the nodes`, `Add it with a constant DEFAULT through \`migrate ddl\`, or add it nullable, backfill on the source, then set NOT NULL ${AFTER_CUTOVER.replace(/^or make the change /, '')}.`);
  }
  return undefined;
}

function volatileDefault(col: string, what: string, no: No): Refusal {
  return no(
    `column ${col} gets its default from ${what}: every existing row would get a different value on each server`,
    `Add the column without a default through \`migrate ddl\` (e.g. ALTER TABLE ... ADD COLUMN ${col} <type>), then set the default with \`migrate ddl\` (ALTER TABLE ... ALTER COLUMN ${col} SET DEFAULT ..., which only fills new rows), then backfill the existing rows with UPDATE on the source only: that replicates.`,
  );
}

// Strings the date/time input functions turn into the current time when they are read.
const TIME_WORDS = /^\s*(now|today|tomorrow|yesterday)\s*$/i;

/** A default every server evaluates to the same value: literals, casts of literals, arrays of them. */
export function isConstant(expr: Node | undefined): boolean {
  if (!expr) return false;
  const [type] = Object.keys(expr);
  const v = expr[type] as Node;
  if (type === 'A_Const') return !(v.sval && TIME_WORDS.test(String((v.sval as Node).sval ?? '')));
  if (type === 'TypeCast') return isConstant(v.arg as Node);
  if (type === 'A_ArrayExpr') return ((v.elements as Node[]) ?? []).every((e) => isConstant(e));
  return false;
}

function classifyCreateTable(n: number, sql: string, node: Node, no: No): DdlStatement | Refusal {
  const rel = node.relation as Node;
  const relation = relationOf(rel);
  if (rel.relpersistence !== 'p') return no('a temporary or unlogged table is never replicated', 'Create it on each server where it is needed, by hand.');
  if (node.inhRelations || node.partbound || node.partspec || node.ofTypename) {
    return no('a partitioned, partition, inherited or typed table: its rows could be routed differently on each server', `Create it by hand on every node and the source, then add it to the publications and refresh the subscriptions, ${AFTER_CUTOVER}.`);
  }
  const elements = (node.tableElts as Node[]) ?? [];
  if (elements.some((e) => 'TableLikeClause' in e)) return no('CREATE TABLE ... (LIKE ...) copies parts of another table that may differ between servers', 'Write the table\'s columns and its primary key out in the statement.');
  const hasKey =
    elements.some((e) => (e.Constraint as Node | undefined)?.contype === 'CONSTR_PRIMARY') ||
    elements.some((e) => (((e.ColumnDef as Node | undefined)?.constraints as Node[]) ?? []).some((c) => (c.Constraint as Node).contype === 'CONSTR_PRIMARY'));
  if (!hasKey) {
    return no(
      'the new table has no primary key: once published, UPDATE and DELETE on it fail on the source (a published table needs a replica identity)',
      'Give the table a PRIMARY KEY in the CREATE TABLE statement.',
    );
  }
  return { n, sql, kind: 'additive', action: 'create-table', relation };
}

function classifyCreateIndex(n: number, sql: string, node: Node, no: No): DdlStatement | Refusal {
  const relation = relationOf(node.relation as Node);
  if (!node.idxname) return no('the index has no name: each server would pick its own, and a rerun could not know it was made', 'Name it: CREATE INDEX name ON ...');
  if (node.unique || node.primary) {
    return no(
      'a unique index on the nodes first would refuse a duplicate the source still accepts, and stop the apply worker',
      'Create it on the source first (CREATE UNIQUE INDEX CONCURRENTLY), wait until every node has caught up (`migrate status`), then create it on each node.',
    );
  }
  return { n, sql, kind: 'additive', action: 'create-index', relation, index: String(node.idxname), concurrent: Boolean(node.concurrent) };
}

const DROPS: Record<string, { action: DdlAction; what: string }> = {
  OBJECT_TABLE: { action: 'drop-table', what: 'table' },
  OBJECT_INDEX: { action: 'drop-index', what: 'index' },
  OBJECT_SEQUENCE: { action: 'drop-sequence', what: 'sequence' },
};

function classifyDrop(n: number, sql: string, node: Node, no: No): DdlStatement | Refusal {
  const drop = DROPS[String(node.removeType)];
  if (!drop) return no(`a DROP ${String(node.removeType).replace('OBJECT_', '')} is not one of the changes \`migrate ddl\` orders`, `Run it on the source and then on every node by hand, ${AFTER_CUTOVER}.`);
  const objects = (node.objects as Node[]) ?? [];
  if (objects.length !== 1) return no(`the statement drops ${objects.length} objects`, `Drop one ${drop.what} per statement (DROP ${drop.what.toUpperCase()} a; DROP ${drop.what.toUpperCase()} b).`);
  if (node.behavior === 'DROP_CASCADE') return no('CASCADE drops what depends on it, which may differ between the source and the nodes', `Drop the dependent objects first (each with \`migrate ddl\`), then the ${drop.what} without CASCADE.`);
  const parts = (((objects[0].List as Node).items as Node[]) ?? []).map((i) => String((i.String as Node).sval));
  if (parts.length > 2) return no('a name with a database part', 'Name the object as schema.name.');
  const relation = parts.length === 2 ? { schema: parts[0], name: parts[1] } : { schema: null, name: parts[0] };
  return { n, sql, kind: 'removal', action: drop.action, relation, ...(node.concurrent ? { concurrent: true } : {}) };
}

function relationOf(rel: Node): RelationName {
  return { schema: rel.schemaname === undefined ? null : String(rel.schemaname), name: String(rel.relname) };
}

function typeSpec(def: Node): TypeSpec {
  const t = def.typeName as Node;
  const names = ((t.names as Node[]) ?? []).map((x) => String((x.String as Node).sval));
  const mods = ((t.typmods as Node[]) ?? []).map((m) => Number(((m.A_Const as Node)?.ival as Node)?.ival ?? 0));
  const array = Array.isArray(t.arrayBounds) && t.arrayBounds.length > 0;
  return { name: (array ? '_' : '') + names[names.length - 1], mods };
}

function statementName(kind: string): string {
  const m = /^(\w+?)Stmt$/.exec(kind);
  return m ? `${m[1].replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()} statement` : kind;
}

/** A column's current type, as the catalog gives it (pg_type.typname, pg_attribute.atttypmod). */
export interface CatalogType {
  typname: string;
  typmod: number;
}

const INT_WIDTH: Record<string, number> = { int2: 2, int4: 4, int8: 8 };

/**
 * Why changing `from` to `to` is not a widening (every value of `from` stored
 * unchanged in `to`), or undefined when it is one, or when the column already
 * has the new type (a rerun after the change went through there).
 */
export function wideningRefusal(from: CatalogType, to: TypeSpec): string | undefined {
  const same = (a: string) => a === to.name;
  if (INT_WIDTH[from.typname] && INT_WIDTH[to.name]) return INT_WIDTH[to.name] >= INT_WIDTH[from.typname] ? undefined : `${from.typname} to ${to.name} narrows the column`;
  if (from.typname === 'varchar' && (to.name === 'varchar' || to.name === 'text')) {
    if (to.name === 'text' || !to.mods.length) return undefined;
    if (from.typmod < 0) return 'an unbounded varchar to a bounded one narrows the column';
    return to.mods[0] >= from.typmod - 4 ? undefined : `varchar(${from.typmod - 4}) to varchar(${to.mods[0]}) narrows the column`;
  }
  if (from.typname === 'text' && same('text')) return undefined;
  if (from.typname === 'numeric' && same('numeric')) {
    if (!to.mods.length) return undefined;
    if (from.typmod < 0) return 'an unconstrained numeric to a constrained one narrows the column';
    const p = ((from.typmod - 4) >> 16) & 0xffff;
    const s = (from.typmod - 4) & 0xffff;
    const [p2, s2 = 0] = to.mods;
    return s2 >= s && p2 - s2 >= p - s ? undefined : `numeric(${p},${s}) to numeric(${p2},${s2}) could round or refuse values`;
  }
  if (from.typname === to.name && from.typmod === -1 && !to.mods.length) return undefined;
  return `${from.typname} to ${to.name} is not a widening \`migrate ddl\` knows (int2 to int4 to int8, varchar(n) to a longer varchar or text, numeric to a wider numeric)`;
}

/** The manual procedure for a type change that is not a widening. */
export const NARROWING_PROCEDURE = `Add a new column of the new type with \`migrate ddl\`, backfill it with UPDATE on the source (that replicates), then drop the old one with \`migrate ddl\`; ${AFTER_CUTOVER}.`;
