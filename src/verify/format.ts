// verify's findings as text: a table per node for people, one line for the
// cutover's report. The caller redacts.
import type { VerifyResult, NodeResult, TableResult, RangeDifference } from './result.js';
import type { KeyValue } from './table-shape.js';
import { quoteIdent } from '../render/quote.js';
import { describeLargeObjectDifferences } from '../pg/large-objects.js';

const SHOWN_RANGES = 5;
const SHOWN_ROWS = 3;

function keyText(columns: string[], k: KeyValue): string {
  return columns.length === 1 ? k[0] : `(${k.join(', ')})`;
}

/** `aid 5001..5100`, `(a, b) (1, x)..(1, z)`, or the whole table's counts. */
export function describeDifference(t: TableResult, d: RangeDifference): string {
  if (!t.key) return `whole table (source ${d.rows_source} rows, node ${d.rows_node})`;
  const names = t.key.map(quoteIdent);
  const cols = names.length === 1 ? names[0] : `(${names.join(', ')})`;
  const span = !d.first || !d.last ? 'empty range' : d.first.join('\u0000') === d.last.join('\u0000') ? keyText(t.key, d.first) : `${keyText(t.key, d.first)}..${keyText(t.key, d.last)}`;
  const rows = d.rows.slice(0, SHOWN_ROWS).map((r) => `${cols} ${keyText(t.key!, r.key)} ${r.problem}`);
  if (d.rows.length > SHOWN_ROWS) rows.push(`${d.rows.length - SHOWN_ROWS} more`);
  return `${cols} ${span}${rows.length ? ` (${rows.join(', ')})` : ''}`;
}

function statusText(t: TableResult): string {
  const notes: string[] = [];
  if (t.compared === 'whole table') notes.push('no primary key: compared whole');
  if (t.settled) notes.push(`${t.settled} in-flight difference${t.settled === 1 ? '' : 's'} gone on re-check`);
  if (t.busy.length) notes.push(`${t.busy.length} range${t.busy.length === 1 ? '' : 's'} changing on both sides at every re-check, not confirmed`);
  const base = t.status === 'error' || t.status === 'missing' ? `${t.status}${t.error ? `: ${t.error}` : ''}` : t.status;
  return notes.length ? `${base} (${notes.join('; ')})` : base;
}

function rowsText(t: TableResult): string {
  if (t.rows_source === null) return '-';
  // First-pass counts: under load they may differ by rows in flight, which only matters when the table differs.
  return t.status !== 'differs' || t.rows_node === t.rows_source ? String(t.rows_source) : `${t.rows_source} (node ${t.rows_node ?? '-'})`;
}

function differencesText(t: TableResult): string {
  const shown = t.differences.slice(0, SHOWN_RANGES).map((d) => describeDifference(t, d));
  const more = t.differences.length - shown.length;
  if (more > 0) shown.push(`and ${more} more range${more === 1 ? '' : 's'}`);
  if (t.differences_truncated) shown.push('and more not narrowed');
  const busy = t.busy.slice(0, SHOWN_RANGES).map((d) => `busy: ${describeDifference(t, d)}`);
  if (t.busy.length > busy.length) busy.push(`and ${t.busy.length - busy.length} more busy`);
  return [...shown, ...busy].join('; ');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

/** `2 large objects: equal`, or the oids that differ (not replicated: a difference is never in flight). */
function largeObjectsText(n: NodeResult): string {
  const lo = n.large_objects;
  if (!lo || (lo.equal && lo.source === 0)) return '';
  if (lo.equal) return `  ${lo.source} large object${lo.source === 1 ? '' : 's'}: equal\n`;
  return `  ${describeLargeObjectDifferences(lo, 20)}\n`;
}

export function formatNode(n: NodeResult): string {
  let s = `${n.node}: ${n.error ? `ERROR: ${n.error}` : n.equal ? 'equal' : 'DIFFERS'} (publication ${n.publication}, ${n.tables.length} table${n.tables.length === 1 ? '' : 's'})\n`;
  if (!n.tables.length || (n.error && n.tables.every((t) => t.rows_source === null))) return s + largeObjectsText(n);
  s += table(
    ['table', 'rows', 'ranges', 'status', 'differing key ranges'],
    n.tables.map((t) => [t.table, rowsText(t), t.compared === 'whole table' ? 'whole' : String(t.ranges), statusText(t), differencesText(t)]),
  );
  return s + largeObjectsText(n);
}

export function formatVerify(planName: string, r: VerifyResult): string {
  const secs = (r.duration_ms / 1000).toFixed(1);
  let s = `Verify of plan ${planName}: the source against ${r.nodes.map((n) => n.node).join(', ')} (${r.rows_compared} rows compared in ${secs} s, ${r.rows_per_second} rows/s)\n\n`;
  s += r.nodes.map(formatNode).join('\n');
  const differing = r.nodes.filter((n) => n.tables.some((t) => t.status === 'differs') || n.large_objects?.equal === false).map((n) => n.node);
  const failed = r.nodes.filter((n) => n.error || n.tables.some((t) => t.status === 'error' || t.status === 'missing')).map((n) => n.node);
  const busy = r.nodes.reduce((sum, n) => sum + n.tables.reduce((x, t) => x + t.busy.length, 0), 0);
  if (differing.length) s += `\nDifferences persist on ${differing.join(', ')}: ranges that still differed after re-checks are listed above.\n`;
  if (r.nodes.some((n) => n.large_objects?.equal === false)) s += 'Large objects are not replicated: one created or changed on the source after the snapshot stays different until copied by hand (lo_get on the source, lo_from_bytea or lo_put on the node).\n';
  if (failed.length) s += `\nNot everything could be compared on ${failed.join(', ')} (see the errors above).\n`;
  if (differing.length || failed.length) return s;
  if (busy) s += `\nNo difference found; ${busy} busy range${busy === 1 ? ' was' : 's were'} being written on both sides at every look and could not be confirmed (run again when quieter; cutover.check: full compares the frozen source).\n`;
  else s += `\nEvery node equals the source.\n`;
  return s;
}

/** One line for the cutover's full check. */
export function summarizeNode(n: NodeResult): string {
  if (n.error) return n.error;
  const keyed = n.tables.filter((t) => t.compared === 'key ranges').length;
  const rows = n.tables.reduce((s, t) => s + (t.rows_source ?? 0), 0);
  const lo = n.large_objects;
  if (n.equal) return `${n.tables.length} tables equal (${rows} rows; ${keyed} by key ranges, ${n.tables.length - keyed} whole)${lo?.source ? `, ${lo.source} large objects equal` : ''}`;
  const bad = n.tables.filter((t) => t.status !== 'equal');
  const parts = bad.slice(0, SHOWN_RANGES).map((t) => (t.status === 'differs' ? `${t.table} ${t.differences.slice(0, 2).map((d) => describeDifference(t, d)).join('; ') || 'differs'}` : `${t.table}: ${statusText(t)}`));
  if (bad.length > SHOWN_RANGES) parts.push(`and ${bad.length - SHOWN_RANGES} more tables`);
  if (lo && !lo.equal) parts.push(describeLargeObjectDifferences(lo));
  return parts.join('; ');
}
