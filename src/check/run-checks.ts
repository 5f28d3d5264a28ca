// The preflight as a library call: `migrate check` prints its findings, apply
// refuses to start on an unskipped error. Nothing is ever changed anywhere.
import { existsSync } from 'node:fs';
import type { LoadedPlan } from '../plan/load.js';
import { stateDir as planStateDir } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { redactorFor } from '../engine/run-stage.js';
import { pgErrorText } from '../pg/connect.js';
import { applySkips, ordered, type Finding } from './finding.js';
import { withCheckSession } from './session.js';
import { checkSource, readSourceSummary } from './source.js';
import { checkNode } from './nodes.js';
import { checkTools } from './tools.js';
import { CHECK_NAMES, checkSkipNames } from './registry.js';
import { toFinding } from './judge.js';
import { rule as reachable, unreachable } from './rules/source.reachable.js';
import type { CheckContext, SourceFacts } from './context.js';

export type { Finding, Severity } from './finding.js';
export { hasErrors } from './finding.js';

export { CHECK_NAMES };

export interface RunChecksOptions {
  /** Check names whose findings the operator has judged: reported as info. */
  skip?: string[];
  /** As apply's --state-dir: where the journal and the default dump directory are. */
  stateDir?: string;
  /** apply's preflight: info findings are not shown (see CheckContext.preflight). */
  preflight?: boolean;
}

/** Task ids a started apply of this plan has journaled; an unreadable journal is apply's to report. */
function startedTasks(loaded: LoadedPlan, state: string): Set<string> {
  if (!existsSync(Journal.file(state))) return new Set();
  try {
    return new Set(Object.keys(Journal.open(state, loaded.plan.name).data.tasks));
  } catch {
    return new Set();
  }
}

/**
 * Connects to the source, every node and the tools, and returns every finding,
 * redacted, grouped by target. A database that cannot be reached is an error
 * finding; the others are checked all the same.
 */
export async function runChecks(loaded: LoadedPlan, opts: RunChecksOptions = {}): Promise<Finding[]> {
  const skip = opts.skip ?? [];
  checkSkipNames(skip);
  const { plan } = loaded;
  const stateDir = planStateDir(loaded, opts.stateDir);
  const ctx: CheckContext = { loaded, plan, stateDir, started: startedTasks(loaded, stateDir), preflight: opts.preflight };

  // Nodes and tools compare with what the source said, and start as soon as it
  // has: their checks then overlap the source's WAL-rate sample.
  let others: Promise<Finding[]> | undefined;
  const checkOthers = (facts: SourceFacts | undefined) =>
    (others ??= Promise.all([...plan.nodes.map((n) => checkNode(ctx, n, facts)), checkTools(ctx, facts)]).then((all) => all.flat()));

  let sourceFindings: Finding[];
  let read = false;
  try {
    sourceFindings = await withCheckSession(plan.source.dsn, 'the source', async (c) => {
      const summary = await readSourceSummary(c, ctx);
      read = true;
      checkOthers(summary);
      return checkSource(c, ctx, summary);
    });
  } catch (e) {
    sourceFindings = [toFinding(reachable.id, 'source', unreachable(pgErrorText(e), read))];
  }
  const all = [...sourceFindings, ...(await checkOthers(undefined))];
  const redactor = redactorFor(loaded);
  return redactor.redactValue(ordered(applySkips(all, skip), ['source', ...plan.nodes.map((n) => n.name), 'tools']));
}
