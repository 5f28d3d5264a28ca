// The rules, as the directory src/check/rules/ lists them (rules/index.ts is
// generated from it), grouped by what they judge.
import { closest } from '../plan/spelling.js';
import { UsageError } from '../errors.js';
import type { NodeRule, Rule, SourceRule, ToolRule } from './rule.js';
import { RULES } from './rules/index.js';

export { RULES };

/** Every name --skip-check and --explain accept. */
export const CHECK_NAMES: readonly string[] = RULES.map((r) => r.id);

export const SOURCE_RULES: readonly SourceRule[] = RULES.filter((r): r is SourceRule => r.target === 'source');
export const NODE_RULES: readonly NodeRule[] = RULES.filter((r): r is NodeRule => r.target === 'node');
export const TOOL_RULES: readonly ToolRule[] = RULES.filter((r): r is ToolRule => r.target === 'tools');

/** The rule of that id; an unknown one is a usage error naming the nearest (`option` says where it was given). */
export function ruleById(id: string, option: string): Rule {
  const rule = RULES.find((r) => r.id === id);
  if (rule) return rule;
  const guess = closest(id, [...CHECK_NAMES]);
  throw new UsageError(`${option} ${id}: no check has that name${guess ? ` (did you mean ${guess}?)` : ''}`, 'migrate check --list shows every check.');
}

/** Unknown names are refused rather than ignored: a typo would otherwise silently skip nothing. */
export function checkSkipNames(skip: string[]): void {
  for (const name of skip) ruleById(name, '--skip-check');
}
