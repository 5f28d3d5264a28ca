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
  // Short, so that the table fits a terminal; what each means is said below the table.
  if (t.compared === 'whole table') notes.push('no key: compared whole');
  if (t.settled) notes.push(`${t.settled} settled`);
  if (t.busy.length) notes.push(`${t.busy.length} busy`);
  const base = t.status === 'error' || t.status === 'missing' ? `${t.status}${t.error ? `: ${t.error}` : ''}` : t.status;
  return notes.length ? `${base} (${notes.join('; ')})` : base;
}

function rowsText(t: TableResult): string {
  if (t.rows_source === null) return '-';
  // First-pass counts: under load they may differ by rows in flight, which only matters when the table differs.
  return t.status !== 'differs' || t.rows_node === t.rows_source ? String(t.rows_source) : `${t.rows_source} (node ${t.rows_node ?? '-'})`;
}

/** The ranges that differ (or stayed busy), one per line under the table's row. */
function differenceLines(t: TableResult): string[] {
  const shown = t.differences.slice(0, SHOWN_RANGES).map((d) => describeDifference(t, d));
  const more = t.differences.length - shown.length;
  if (more > 0) shown.push(`and ${more} more range${more === 1 ? '' : 's'}`);
  if (t.differences_truncated) shown.push('and more not narrowed');
  const busy = t.busy.slice(0, SHOWN_RANGES).map((d) => `busy: ${describeDifference(t, d)}`);
  if (t.busy.length > busy.length) busy.push(`and ${t.busy.length - busy.length} more busy`);
  return [...shown, ...busy];
}

/** The table fits a terminal of this width; a cell cut to fit ends in "…", and --json has it whole. */
export const TABLE_WIDTH = 100;
// Columns that give way, widest first, when the table is too wide: the table name, the status.
const SHRINKABLE = [0, 3];
const BELOW_INDENT = '      ';
const MIN_WIDTH = 12;

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function table(header: string[], rows: string[][], below: string[][]): { text: string; cut: boolean } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const total = () => 2 + widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1);
  while (total() > TABLE_WIDTH) {
    const i = SHRINKABLE.filter((j) => widths[j] > Math.max(MIN_WIDTH, header[j].length)).sort((a, b) => widths[b] - widths[a])[0];
    if (i === undefined) break;
    widths[i]--;
  }
  let wasCut = false;
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => {
        const shown = cut(c, widths[i]);
        if (shown !== c) wasCut = true;
        return shown.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd() +
    '\n';
  const under = (lines: string[]) =>
    lines
      .map((l) => {
        const shown = cut(l, TABLE_WIDTH - BELOW_INDENT.length);
        if (shown !== l) wasCut = true;
        return `${BELOW_INDENT}${shown}\n`;
      })
      .join('');
  const text = line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map((r, i) => line(r) + under(below[i])).join('');
  return { text, cut: wasCut };
}

/** "equal", or honestly "equal (2 ranges busy, re-checked 8 times)" when some ranges could not be confirmed. */
function nodeVerdict(n: NodeResult): string {
  if (n.error) return `ERROR: ${n.error}`;
  if (!n.equal) return 'DIFFERS';
  const busy = n.tables.reduce((x, t) => x + t.busy.length, 0);
  if (!busy) return 'equal';
  const rechecks = n.tables.reduce((x, t) => x + t.rechecks, 0);
  return `equal (${busy} range${busy === 1 ? '' : 's'} busy, re-checked ${rechecks} time${rechecks === 1 ? '' : 's'})`;
}

/** `2 large objects: equal`, or the oids that differ (not replicated: a difference is never in flight). */
function largeObjectsText(n: NodeResult): string {
  const lo = n.large_objects;
  if (!lo || (lo.equal && lo.source === 0)) return '';
  if (lo.equal) return `  ${lo.source} large object${lo.source === 1 ? '' : 's'}: equal\n`;
  return `  ${describeLargeObjectDifferences(lo, 20)}\n`;
}

export function formatNode(n: NodeResult): string {
  let s = `${n.node}: ${nodeVerdict(n)} (publication ${n.publication}, ${n.tables.length} table${n.tables.length === 1 ? '' : 's'})\n`;
  if (!n.tables.length || (n.error && n.tables.every((t) => t.rows_source === null))) return s + largeObjectsText(n);
  const t = table(
    ['table', 'rows', 'ranges', 'status'],
    n.tables.map((t) => [t.table, rowsText(t), t.compared === 'whole table' ? 'whole' : String(t.ranges), statusText(t)]),
    n.tables.map(differenceLines),
  );
  s += t.text;
  const legend: string[] = [];
  if (n.tables.some((x) => x.settled)) legend.push('settled: differed once, equal on a re-check (changes in flight)');
  if (n.tables.some((x) => x.busy.length)) legend.push('busy: changing on both sides at every re-check: not confirmed either way');
  for (const l of legend) s += `  ${l}\n`;
  if (t.cut) s += `  (cells ending in … are cut to fit ${TABLE_WIDTH} columns; \`migrate verify --json\` has them whole)\n`;
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
