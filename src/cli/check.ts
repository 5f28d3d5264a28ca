import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { describeEndpoint } from '../pg/connect.js';
import { runChecks } from '../check/run-checks.js';
import { formatGithub, formatJson, formatTable, hasErrors } from '../check/finding.js';
import { explainRule, formatRuleList } from '../check/catalog.js';
import { redactorFor } from '../engine/run-stage.js';
import { UsageError } from '../errors.js';
import { EXIT } from './exit.js';

export const CHECK_FORMATS = ['table', 'json', 'github'] as const;

export interface CheckOptions {
  list?: boolean;
  explain?: string;
  json?: boolean;
  format?: string;
  skipCheck?: string[];
  stateDir?: string;
}

/** `migrate check PLAN`: every finding about the source, the nodes and the tools; 1 on an unskipped error. `--list` and `--explain ID` describe the checks instead. */
export async function checkCommand(file: string | undefined, opts: CheckOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (opts.list || opts.explain !== undefined) {
    out(opts.list ? formatRuleList() : explainRule(opts.explain!));
    return EXIT.ok;
  }
  if (file === undefined) throw new UsageError('check: a plan file is needed', 'migrate check PLAN; or migrate check --list, migrate check --explain ID.');
  if (opts.format !== undefined && !(CHECK_FORMATS as readonly string[]).includes(opts.format)) {
    throw new UsageError(`--format ${opts.format}: use one of ${CHECK_FORMATS.join(', ')}`);
  }
  // Annotations only mean something in a GitHub Actions log; asking for JSON wins.
  const format = opts.json ? 'json' : (opts.format ?? (process.env.GITHUB_ACTIONS === 'true' ? 'github' : 'table'));
  const loaded = loadPlan(file);
  const redactor = redactorFor(loaded);
  for (const w of loaded.warnings) err(redactor.redact(formatProblem(w)) + '\n');
  const findings = await runChecks(loaded, { skip: opts.skipCheck, stateDir: opts.stateDir });
  const { plan } = loaded;
  let text: string;
  if (format === 'json') text = formatJson(findings);
  else if (format === 'github') text = formatGithub(findings, loaded.file);
  else {
    const nodes = plan.nodes.map((n) => `${n.name} (${describeEndpoint(n.dsn)})`).join(', ');
    text = formatTable(findings, `migrate check: plan ${plan.name}\n  source ${describeEndpoint(plan.source.dsn)}\n  nodes  ${nodes}`);
  }
  out(redactor.redact(text));
  return hasErrors(findings) ? EXIT.failed : EXIT.ok;
}
