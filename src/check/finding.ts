// What `migrate check` reports, and the three ways it is printed. A finding is
// data; deciding severity happens in the checks, printing happens here.

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable name, usable with --skip-check: 'source.wal_level'. */
  id: string;
  severity: Severity;
  /** 'source', 'tools', or a node's name. */
  target: 'source' | 'tools' | string;
  found: string;
  why: string;
  fix?: string;
}

export const SKIPPED = '(skipped by --skip-check)';

/** Lists in findings stop here: a database with 40 000 key-less tables needs the count, not a wall of names. */
export const MAX_LISTED = 100;

export function listed(items: string[], sep = ', '): string {
  if (items.length <= MAX_LISTED) return items.join(sep);
  return `${items.slice(0, MAX_LISTED).join(sep)}${sep}... and ${items.length - MAX_LISTED} more`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The operator has judged these: they stay visible, as information. */
export function applySkips(findings: Finding[], skip: string[]): Finding[] {
  const skipped = new Set(skip);
  return findings.map((f) => (skipped.has(f.id) && f.severity !== 'info' ? { ...f, severity: 'info', found: `${f.found} ${SKIPPED}` } : f));
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Grouped by target in the order given, errors first within a target; otherwise in check order. */
export function ordered(findings: Finding[], targets: string[]): Finding[] {
  const place = (t: string) => {
    const i = targets.indexOf(t);
    return i < 0 ? targets.length : i;
  };
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => place(a.f.target) - place(b.f.target) || RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

function counts(findings: Finding[]): string {
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return `${plural(n('error'), 'error')}, ${plural(n('warning'), 'warning')}, ${plural(n('info'), 'note')}`;
}

const LINE_WIDTH = 120;
const MIN_TEXT_WIDTH = 60;

export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** A table for a terminal: one line per finding, with why and fix under it. */
export function formatTable(findings: Finding[], heading: string): string {
  const label = (s: Severity) => (s === 'info' ? 'info' : s.toUpperCase());
  const w = {
    severity: Math.max(8, ...findings.map((f) => label(f.severity).length)),
    id: Math.max(5, ...findings.map((f) => f.id.length)),
    target: Math.max(6, ...findings.map((f) => f.target.length)),
  };
  const indent = ' '.repeat(w.severity + w.id + w.target + 6);
  const width = Math.max(MIN_TEXT_WIDTH, LINE_WIDTH - indent.length - 5);
  const block = (tag: string, text: string, wrapAt?: number) =>
    text
      .split('\n')
      .flatMap((l) => (wrapAt ? wrap(l, wrapAt) : [l]))
      .map((l, i) => `${indent}${i === 0 ? tag : ' '.repeat(tag.length)}${l}`)
      .join('\n') + '\n';
  let s = `${heading}\n\n`;
  s += `${'SEVERITY'.padEnd(w.severity)}  ${'CHECK'.padEnd(w.id)}  ${'TARGET'.padEnd(w.target)}  FOUND\n`;
  for (const f of findings) {
    const [first, ...rest] = f.found.split('\n');
    s += `${label(f.severity).padEnd(w.severity)}  ${f.id.padEnd(w.id)}  ${f.target.padEnd(w.target)}  ${first}\n`;
    for (const l of rest) s += `${indent}${l}\n`;
    // Prose wraps; fixes keep their lines, so that they paste as written.
    if (f.severity !== 'info' || f.fix) s += block('why: ', f.why, width);
    if (f.fix) s += block('fix: ', f.fix);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  s += `\n${counts(findings)}. Nothing was changed on any database.\n`;
  s += errors ? 'The migration would fail or lose data as things stand: fix the errors above (or, having judged one, pass --skip-check NAME).\n' : 'No errors: the plan can be applied.\n';
  return s;
}

// Workflow commands end at a newline and split properties at ':' and ',':
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** GitHub Actions annotations for errors and warnings; notes as plain log lines. */
export function formatGithub(findings: Finding[], planFile: string): string {
  let s = '';
  for (const f of findings) {
    const text = `${f.found}\n${f.why}${f.fix ? `\nFix: ${f.fix}` : ''}`;
    if (f.severity === 'info') s += `info ${f.id} (${f.target}): ${f.found}\n`;
    else s += `::${f.severity} file=${escapeProperty(planFile)},title=${escapeProperty(`${f.id} (${f.target})`)}::${escapeData(text)}\n`;
  }
  s += `migrate check: ${counts(findings)}\n`;
  return s;
}

export function formatJson(findings: Finding[]): string {
  return JSON.stringify({ ok: !hasErrors(findings), findings }, null, 2) + '\n';
}
