// Judges what a node's subscription covers (src/pg/subscription-coverage.ts
// reads it): every published table the subscription does not know, does not
// have yet, or cannot apply, by name, with the statements that close the gap
// in the order they must run. Pure: status, verify and the cutover's
// readiness check all print the same judgement.
import type { CoverageFacts, TableFact } from '../pg/subscription-coverage.js';
import { quoteIdent, quoteName } from '../render/quote.js';
import { shellQuote } from '../render/shell.js';
import { renderSql } from '../render/templates.js';
import { nodeSessionOptions } from '../render/spock-local-ddl.js';
import type { RecordedDdl } from '../pg/ddl-log.js';
import { compareColumns, describeColumnDrift, onNodeOnly, repairColumnDrift, type ColumnDriftKind } from './column-drift.js';

export { acceptsValues } from './column-drift.js';

/** What the fix may name: the plan (for `migrate ddl`), and the DDL the guard recorded and did not bring to the nodes yet. */
export interface CoverageContext {
  plan_file?: string;
  recorded?: RecordedDdl[];
}

export type GapKind = 'not subscribed' | 'missing on node' | 'still copying' | 'no longer published' | ColumnDriftKind;

export interface CoverageGap {
  kind: GapKind;
  schema: string;
  name: string;
  /** schema.table as SQL names it. */
  table: string;
  column: string | null;
  problem: string;
}

export interface FixStep {
  /** The node it runs on. */
  on: string;
  kind: 'sql' | 'shell';
  text: string;
  why: string;
}

export interface NodeCoverage {
  node: string;
  subscription: string;
  publication: string;
  gaps: CoverageGap[];
  /** Every step, in the order it must run. */
  fix: FixStep[];
  /** The coverage could not be read (the node or the source unreachable). */
  error?: string;
}

export interface CoverageTarget {
  node: string;
  subscription: string;
  publication: string;
  kind?: 'postgres' | 'pgedge' | 'pglogical';
  replication_set?: string;
}

// pg_subscription_rel.srsubstate, as the documentation names them.
const COPY_STATE: Record<string, string> = { i: 'initializing', d: 'copying its rows', f: 'rows copied, catching up', s: 'synchronized, handing over to the apply worker' };

const key = (t: { schema: string; name: string }) => JSON.stringify([t.schema, t.name]);

function gap(kind: GapKind, t: { schema: string; name: string }, column: string | null, problem: string): CoverageGap {
  return { kind, schema: t.schema, name: t.name, table: quoteName(t.schema, t.name), column, problem };
}

/**
 * Columns the node's table must have for the subscription to apply the
 * source's rows exactly, and the schemas to match. A change the guard
 * recorded on the source is brought to the nodes by `migrate ddl --recorded`;
 * otherwise the statement runs on the node alone.
 */
function columnGaps(target: CoverageTarget, src: TableFact, dst: TableFact, context: CoverageContext, gaps: CoverageGap[], steps: FixStep[]): void {
  const table = quoteName(src.schema, src.name);
  const drift = compareColumns(src, dst);
  if (!drift.length) return;
  for (const d of drift) gaps.push(gap(d.kind, src, d.column, describeColumnDrift(d, target.node, table)));
  const recorded = recordedSteps(target, table, context);
  if (recorded) {
    steps.push(...recorded);
    return;
  }
  for (const d of drift) {
    const { sql, why } = repairColumnDrift(d, src);
    steps.push({ on: target.node, kind: 'sql', text: onNodeOnly(target.kind, sql), why: `${why} ${byHand(context.plan_file)}${target.kind === 'pgedge' ? ' The SET lines keep Spock from running it again on the other nodes, which each run it themselves.' : ''}` });
  }
}

/** The guard's records of statements on this table not yet brought to the nodes, as the commands that bring them. */
function recordedSteps(target: CoverageTarget, table: string, context: CoverageContext): FixStep[] | undefined {
  // object_identity is the server's own quoted name, as quoteName writes it.
  const records = (context.recorded ?? []).filter((r) => r.object_identity === table);
  if (!records.length || !context.plan_file) return undefined;
  return records.map((r) => ({
    on: target.node,
    kind: 'shell',
    text: `migrate ddl ${shellQuote(context.plan_file!)} --recorded ${r.id}`,
    why: `the guard recorded it on the source (${r.command_tag} by ${r.role} at ${r.at}): this runs it on every node that lacks it, with nothing repeated where it ran already`,
  }));
}

function byHand(planFile: string | undefined): string {
  const ddl = `migrate ddl ${planFile ? shellQuote(planFile) : 'PLAN'} -c 'SQL'`;
  return `The change was made on the source by hand, and schema changes reach no node by themselves: this makes it on this node only. \`${ddl}\` makes the next one on the nodes and the source in the order that keeps the streams running.`;
}

// On a pgEdge node, Spock would run the CREATE again on the other nodes, which each create it themselves.
function spockOff(target: CoverageTarget): string {
  const options = nodeSessionOptions({ kind: target.kind });
  return options ? `PGOPTIONS=${shellQuote(options)} ` : '';
}

/** A table the node lacks: the restore did not create it, so it is made as on the source (empty), then copied. */
function missingTableStep(target: CoverageTarget, t: TableFact): FixStep {
  return {
    on: target.node,
    kind: 'shell',
    text: `pg_dump --schema-only --table=${shellQuote(quoteName(t.schema, t.name))} "$SOURCE_DSN" | ${spockOff(target)}psql -v ON_ERROR_STOP=1 "$NODE_DSN"`,
    why: `creates it on ${target.node} exactly as on the source, empty (SOURCE_DSN and NODE_DSN: how you reach the source and ${target.node})`,
  };
}

export function judgeCoverage(target: CoverageTarget, facts: CoverageFacts, context: CoverageContext = {}): NodeCoverage {
  const out: NodeCoverage = { node: target.node, subscription: target.subscription, publication: target.publication, gaps: [], fix: [] };
  // A missing subscription is status's and the readiness check's to report.
  if (!facts.subscription_exists) return out;
  const { node, subscription } = target;
  const subscribed = new Map(facts.subscribed.map((s) => [key(s), s]));
  const onNode = new Map(facts.node_tables.map((t) => [key(t), t]));
  const published = new Set(facts.published.map(key));
  const create: FixStep[] = [];
  const columns: FixStep[] = [];
  const empty: FixStep[] = [];
  const added: string[] = [];
  for (const t of facts.published) {
    const table = quoteName(t.schema, t.name);
    const dst = onNode.get(key(t));
    const sub = subscribed.get(key(t));
    if (!dst) {
      out.gaps.push(gap('missing on node', t, null, `published on the source, does not exist on ${node}: the subscription stops at the first change to it and holds every later change behind it`));
      create.push(...(recordedSteps(target, table, context) ?? [missingTableStep(target, t)]));
      added.push(table);
      continue;
    }
    if (!sub) {
      const copy = dst.has_rows ? `${node}'s copy has rows, stale since it was created there` : `${node}'s copy is empty`;
      out.gaps.push(gap('not subscribed', t, null, `published on the source, not in subscription ${subscription}: ${node} discards every change to it (${copy})`));
      if (dst.has_rows) {
        empty.push({
          on: node,
          kind: 'sql',
          text: `TRUNCATE ${table};`,
          why: `its rows on ${node} miss every change made on the source since, and the copy below would collide with them; the copy brings every row back. Without CASCADE, which would also empty tables that replicate correctly: if a foreign key refuses, run BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM ${table}; COMMIT; as a superuser instead`,
        });
      }
      added.push(table);
    } else if (sub.state !== 'r') {
      out.gaps.push(gap('still copying', t, null, `its initial copy onto ${node} is not finished (${COPY_STATE[sub.state] ?? `state ${sub.state}`}); wait until \`migrate status\` shows no gap`));
    }
    columnGaps(target, t, dst, context, out.gaps, columns);
  }
  const dropped = facts.subscribed.filter((s) => !published.has(key(s)));
  for (const s of dropped) {
    out.gaps.push(gap('no longer published', s, null, `in subscription ${subscription}, no longer in publication ${target.publication} (dropped on the source, or taken out of the publication): ${node} receives no change to it`));
  }
  out.fix.push(...create, ...columns, ...empty);
  if (added.length && (target.kind === 'pgedge' || target.kind === 'pglogical')) out.fix.push(replicationSetStep(target, added));
  if (added.length || dropped.length) out.fix.push(refreshStep(target, added.length > 0, empty.length > 0 || create.length > 0, dropped.length > 0));
  return out;
}

function replicationSetStep(target: CoverageTarget, tables: string[]): FixStep {
  const names = target.kind === 'pgedge' ? { schema: 'spock', add_all: 'repset_add_all_tables', add_table: 'repset_add_table' } : { schema: 'pglogical', add_all: 'replication_set_add_all_tables', add_table: 'replication_set_add_table' };
  return {
    on: target.node,
    kind: 'sql',
    text: renderSql('add-to-replication-set.sql.hbs', { ...names, replication_set: target.replication_set ?? 'default', tables, schemas: null }).trim(),
    why: 'after the cutover, writes to it on one node must reach the others; it may wait for the subscription\'s apply worker (a deadlock the worker resolves by restarting, losing nothing)',
  };
}

function refreshStep(target: CoverageTarget, copy: boolean, emptied: boolean, dropped: boolean): FixStep {
  const why = copy
    ? `copy_data = true: each table added is copied from the source at one snapshot and then follows its changes from that point, which is exact because ${target.node}'s copy is empty${emptied ? ' once the steps above have run' : ''}. copy_data = false would leave ${target.node} without every row the source holds in it now.${dropped ? ' Tables no longer published leave the subscription; their rows on the node stay.' : ''}`
    : 'copy_data = false: only tables that left the publication, nothing to copy; the subscription forgets them and their rows on the node stay. If one should still be replicated, add it back to the publication on the source instead (ALTER PUBLICATION ... ADD TABLE), then run this with copy_data = true after emptying its copy on the node.';
  return { on: target.node, kind: 'sql', text: `ALTER SUBSCRIPTION ${quoteIdent(target.subscription)} REFRESH PUBLICATION WITH (copy_data = ${copy});`, why };
}

/** The gaps of every node, with their fixes, for people; '' when there is none. */
export function formatCoverage(nodes: NodeCoverage[]): string {
  let s = '';
  for (const n of nodes.filter((x) => x.gaps.length)) {
    s += `${n.node}: ${n.gaps.length} gap${n.gaps.length === 1 ? '' : 's'} between publication ${n.publication} and subscription ${n.subscription}:\n`;
    for (const g of n.gaps) s += `  ${g.table}${g.column ? ` column ${quoteIdent(g.column)}` : ''}: ${g.problem}\n`;
    if (n.fix.length) {
      s += `  Fix, on ${n.node}, in this order:\n`;
      for (const f of n.fix) s += `    ${f.text.replaceAll('\n', '\n    ')}\n      (${f.why})\n`;
    }
  }
  return s;
}
