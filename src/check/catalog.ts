// The rules described rather than run: `migrate check --list`, `--explain ID`,
// and the README's list of checks (written by `npm run gen:checks`).
import { wrap } from './finding.js';
import type { Rule } from './rule.js';
import { RULES, ruleById } from './registry.js';

/** One line per rule: id, target, severity, title. */
export function formatRuleList(rules: readonly Rule[] = RULES): string {
  const w = { id: Math.max(5, ...rules.map((r) => r.id.length)), target: 6, severity: 8 };
  let s = `${'CHECK'.padEnd(w.id)}  ${'TARGET'.padEnd(w.target)}  ${'SEVERITY'.padEnd(w.severity)}  TITLE\n`;
  for (const r of rules) s += `${r.id.padEnd(w.id)}  ${r.target.padEnd(w.target)}  ${r.severity.padEnd(w.severity)}  ${r.title}\n`;
  s += `\n${rules.length} checks. migrate check --explain ID says why one matters and how to fix what it finds.\n`;
  return s;
}

const EXPLAIN_WIDTH = 100;

/** What --explain prints; an unknown id is a usage error with the nearest one. */
export function explainRule(id: string): string {
  const r = ruleById(id, '--explain');
  const target = r.target === 'node' ? 'each node' : r.target === 'tools' ? 'this machine (tools)' : 'the source';
  const worst = { error: 'an error', warning: 'a warning', info: 'a note' }[r.severity];
  const para = (text: string) => wrap(text, EXPLAIN_WIDTH).join('\n');
  return `${r.id}: ${r.title}\nChecks ${target}; its worst finding is ${worst}.\n\n${para(`Why: ${r.docs.why}`)}\n\n${para(`Fix: ${r.docs.fix}`)}\n`;
}

const cell = (s: string) => s.replaceAll('|', '\\|');

/** The README's table of checks. */
export function ruleListMarkdown(rules: readonly Rule[] = RULES): string {
  const rows = rules.map((r) => `| \`${r.id}\` | ${r.target} | ${r.severity} | ${cell(r.title)} |`);
  return ['| Check | Target | At worst | What it checks |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}
