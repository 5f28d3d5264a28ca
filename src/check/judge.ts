// Judging: every rule of a target applied to the facts read for it. Pure.
import { pgErrorText } from '../pg/connect.js';
import type { Finding } from './finding.js';
import type { CheckContext } from './context.js';
import type { RuleResult, Verdict } from './rule.js';

export function toFinding(id: string, target: string, v: Verdict): Finding {
  return { id, severity: v.severity, target, found: v.found, why: v.why, ...(v.fix ? { fix: v.fix } : {}) };
}

/** A rule whose facts could not be read (a permission, a catalog missing on an old server) is a warning of its own. */
export function couldNotCheck(id: string, target: string, e: unknown): Finding {
  return {
    id,
    severity: 'warning',
    target,
    found: `could not be checked: ${pgErrorText(e)}`,
    why: 'The query behind this check failed, so what it looks for is unknown; the migration may still fail on it.',
    fix: 'Run the check as a role that can read the catalogs (a superuser), or judge it by hand and pass --skip-check to silence it.',
  };
}

interface Judged<F> {
  id: string;
  check(facts: F, ctx: CheckContext): RuleResult;
}

/** Each rule's verdicts as findings of `target` (the source, a node's name, or tools), in rule order. */
export function judge<F>(rules: readonly Judged<F>[], facts: F, ctx: CheckContext, target: string): Finding[] {
  return rules.flatMap((rule) => {
    let result: RuleResult;
    try {
      result = rule.check(facts, ctx);
    } catch (e) {
      return [couldNotCheck(rule.id, target, e)];
    }
    const verdicts = result === undefined ? [] : Array.isArray(result) ? result : [result];
    return verdicts.map((v) => toFinding(rule.id, target, v));
  });
}
