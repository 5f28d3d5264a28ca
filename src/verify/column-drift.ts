// Column drift: a published table's columns on the source against the same
// table's on a node, by name (order does not matter) and type. Logical
// replication carries no DDL, so a column added, dropped or retyped on the
// source by hand reaches no node: the node's apply worker stops at the next
// change to that table (a column it lacks) or the schemas quietly part (a
// column only the node has). Pure: coverage-gaps.ts turns each difference into
// a gap with the statement that repairs it on the node.
import type { ColumnFact, TableFact } from '../pg/subscription-coverage.js';
import { quoteIdent, quoteName } from '../render/quote.js';
import { spockLocalDdlSql } from '../render/spock-local-ddl.js';

export type ColumnDriftKind = 'column missing on node' | 'column type differs' | 'column required on node' | 'extra column on node';

export interface ColumnDrift {
  kind: ColumnDriftKind;
  column: string;
  /** The source's column; null for a column only the node has. */
  source: ColumnFact | null;
  /** The node's column; null for a column the node lacks. */
  node: ColumnFact | null;
}

// Each source type's values, printed as text, are read back exactly by these
// types on the node: a widened column (Snowflake turns int4 keys into int8)
// takes every row the source can send. typmod -1 is "no limit".
const WIDER: Record<string, string[]> = {
  int2: ['int4', 'int8', 'numeric'],
  int4: ['int8', 'numeric'],
  int8: ['numeric'],
  float4: ['float8'],
  varchar: ['text'],
  bpchar: ['text'],
};

/** The node's column takes every value of the source's exactly (the same type, or one that widens it). */
export function acceptsValues(source: ColumnFact['type_key'], node: ColumnFact['type_key']): boolean {
  const [sSchema, sName, sMod] = source;
  const [nSchema, nName, nMod] = node;
  if (sSchema === nSchema && sName === nName) return sMod === nMod || (sName === 'varchar' && (nMod === -1 || (sMod !== -1 && nMod >= sMod)));
  return sSchema === 'pg_catalog' && nSchema === 'pg_catalog' && (WIDER[sName] ?? []).includes(nName) && (nName !== 'numeric' || nMod === -1);
}

/** Every difference between the source's columns of a table and the node's, the source's order first. */
export function compareColumns(src: TableFact, dst: TableFact): ColumnDrift[] {
  const onNode = new Map(dst.columns.map((c) => [c.name, c]));
  const onSource = new Map(src.columns.map((c) => [c.name, c]));
  const out: ColumnDrift[] = [];
  for (const c of src.columns) {
    const d = onNode.get(c.name);
    if (!d) out.push({ kind: 'column missing on node', column: c.name, source: c, node: null });
    else if (!acceptsValues(c.type_key, d.type_key)) out.push({ kind: 'column type differs', column: c.name, source: c, node: d });
  }
  for (const d of dst.columns) {
    const s = onSource.get(d.name);
    if (!s) out.push({ kind: 'extra column on node', column: d.name, source: null, node: d });
    // Present on the source but not sent (a column list): the node gets no value for it.
    else if (s.sent === false && d.not_null && !d.fills_itself) out.push({ kind: 'column required on node', column: d.name, source: s, node: d });
  }
  return out;
}

/** A column the subscription must have to apply a row: the missing ones stop the worker. */
export function stopsTheStream(d: ColumnDrift): boolean {
  if (d.kind === 'column missing on node') return d.source!.sent !== false;
  if (d.kind === 'extra column on node') return d.node!.not_null && !d.node!.fills_itself;
  return true;
}

/** What is wrong, for people: the table is named by the caller. */
export function describeColumnDrift(d: ColumnDrift, node: string, table: string): string {
  const stops = `the subscription stops at the first change to ${table} and holds every later change behind it`;
  switch (d.kind) {
    case 'column missing on node':
      return `on the source (${d.source!.type}), not on ${node}: ${stopsTheStream(d) ? stops : 'the schemas differ (the publication does not send it, so the stream runs on)'}`;
    case 'column type differs':
      return `${d.source!.type} on the source, ${d.node!.type} on ${node}: values are converted through text, or refused`;
    case 'column required on node':
      return `NOT NULL without a default on ${node}, and the source sends no value for it: every insert from the source fails there`;
    case 'extra column on node':
      return stopsTheStream(d)
        ? `on ${node} (${d.node!.type} NOT NULL, no default), not on the source: every insert from the source fails there`
        : `on ${node} (${d.node!.type}), not on the source: the schemas differ (dropped on the source, or added to ${node} only)`;
  }
}

function addColumnSql(table: string, c: ColumnFact): string {
  let def = '';
  if (c.generated === 's') def = ` GENERATED ALWAYS AS (${c.default}) STORED`;
  else if (c.identity === 'a' || c.identity === 'd') def = ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
  else if (c.default !== null) def = ` DEFAULT ${c.default}`;
  return `ALTER TABLE ${table} ADD COLUMN ${quoteIdent(c.name)} ${c.type}${def}${c.not_null && !c.identity ? ' NOT NULL' : ''};`;
}

/** The statement that makes the node's column what the source's is, and why. */
export function repairColumnDrift(d: ColumnDrift, t: { schema: string; name: string }): { sql: string; why: string } {
  const table = quoteName(t.schema, t.name);
  const col = quoteIdent(d.column);
  switch (d.kind) {
    case 'column missing on node':
      return {
        sql: addColumnSql(table, d.source!),
        why: 'added as on the source, default included, so that the rows already there get the value the source gave them; the subscription then resumes where it stopped, losing nothing. Run `migrate verify` afterwards: a volatile default gives other values than the source\'s.',
      };
    case 'column type differs':
      return { sql: `ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${d.source!.type} USING ${col}::${d.source!.type};`, why: 'the node stores what the source stores' };
    case 'column required on node':
      return { sql: `ALTER TABLE ${table} ALTER COLUMN ${col} DROP NOT NULL;`, why: 'or give it a default: the publication sends no value for it' };
    case 'extra column on node':
      return {
        sql: `ALTER TABLE ${table} DROP COLUMN ${col};`,
        why: 'the source has no such column: dropped there by hand (the nodes keep it until told), or added to this node only. Check that it holds nothing you need first; if a `migrate ddl` adding it is under way (it changes the nodes before the source), let that finish instead',
      };
  }
}

/** A statement for a node, with the session settings that keep Spock from running it again on the other nodes. */
export function onNodeOnly(kind: string | undefined, sql: string): string {
  return kind === 'pgedge' ? `${spockLocalDdlSql()}\n${sql}` : sql;
}
