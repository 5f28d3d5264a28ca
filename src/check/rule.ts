// The shape of one check. Every check is a module of its own under
// src/check/rules/, named after its id, exporting `rule`:
//
//   export const rule: SourceRule = {
//     id: 'source.replica_identity', target: 'source', severity: 'error',
//     title: 'published tables have a key or replica identity',
//     docs: { why: '...', fix: '...' },
//     check: (facts, ctx) => ...,   // pure: facts and plan in, verdicts out
//   };
//
// How to add one: see src/check/rules/README.md (which facts file to extend,
// then `npm run gen:checks` regenerates rules/index.ts and the README's list).
import type { Finding, Severity } from './finding.js';
import type { CheckContext } from './context.js';
import type { NodeFacts, SourceCatalog, ToolFacts } from './facts.js';

export type RuleTarget = 'source' | 'node' | 'tools';

/** A finding before the runner names its check and target. */
export type Verdict = Omit<Finding, 'id' | 'target'>;

/** Nothing to report, one verdict, or several (one per kind of problem). */
export type RuleResult = Verdict | Verdict[] | undefined;

interface RuleInfo {
  /** 'source.wal_level': stable, used by --skip-check and --explain, and the module's file name. */
  id: string;
  /** The most severe verdict the rule gives (some also give milder ones). */
  severity: Severity;
  /** One line, saying what is checked: "wal_level is logical". */
  title: string;
  /** For --explain and the README: why it matters, and the usual fix. */
  docs: { why: string; fix: string };
}

export interface SourceRule extends RuleInfo {
  target: 'source';
  check(facts: SourceCatalog, ctx: CheckContext): RuleResult;
}

/** Judged once per node; its findings carry the node's name as target. */
export interface NodeRule extends RuleInfo {
  target: 'node';
  check(facts: NodeFacts, ctx: CheckContext): RuleResult;
}

export interface ToolRule extends RuleInfo {
  target: 'tools';
  check(facts: ToolFacts, ctx: CheckContext): RuleResult;
}

export type Rule = SourceRule | NodeRule | ToolRule;

const verdict =
  (severity: Severity) =>
  (found: string, why: string, fix?: string): Verdict => ({ severity, found, why, ...(fix ? { fix } : {}) });

export const error = verdict('error');
export const warning = verdict('warning');
export const info = verdict('info');
