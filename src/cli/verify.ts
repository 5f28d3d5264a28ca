import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { redactorFor } from '../engine/run-stage.js';
import { verifyNodes } from '../verify/verify-nodes.js';
import { formatVerify } from '../verify/format.js';
import { planCoverage } from '../verify/plan-coverage.js';
import { formatCoverage } from '../verify/coverage-gaps.js';
import { planWorkers } from '../verify/plan-workers.js';
import { formatWorkerHealth, workerBroken } from '../verify/worker-restarts.js';
import { addLargeObjects } from '../verify/large-objects.js';
import { dumpCarriesLargeObjects, readLargeObjects } from '../pg/large-objects.js';
import { pgErrorText, withClient } from '../pg/connect.js';
import { InterruptedError, MigrateError, OperationError, UsageError } from '../errors.js';
import { EXIT } from './exit.js';

export interface VerifyOptions {
  json?: boolean;
  node?: string;
  ranges?: number;
}

/** `migrate verify PLAN`: every published table of every node against the source; 0 equal, 1 a difference persists. */
export async function verifyCommand(file: string, opts: VerifyOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const { plan } = loaded;
  const redactor = redactorFor(loaded);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const sets = opts.node === undefined ? plan.replication : plan.replication.filter((r) => r.node === opts.node);
  if (!sets.length) throw new UsageError(`--node ${opts.node}: the plan has no such node (it has ${plan.replication.map((r) => r.node).join(', ')})`);
  if (opts.ranges !== undefined && !(Number.isInteger(opts.ranges) && opts.ranges >= 1 && opts.ranges <= 1000)) {
    throw new UsageError('--ranges: give a whole number from 1 to 1000');
  }
  const targets = sets.map((r) => ({ node: r.node, dsn: plan.nodes.find((n) => n.name === r.node)!.dsn, publication: r.publication }));

  const controller = new AbortController();
  const onSignal = () => {
    err('\nstopping verify...\n');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result;
  try {
    result = await verifyNodes(plan.source.dsn, targets, { ranges: opts.ranges, signal: controller.signal });
    if (dumpCarriesLargeObjects(plan)) await addLargeObjects(result, () => withClient(plan.source.dsn, 'the source', readLargeObjects), targets);
  } catch (e) {
    if (e instanceof InterruptedError) throw e;
    const hint = e instanceof MigrateError ? e.hint : undefined;
    throw new OperationError(redactor.redact(e instanceof MigrateError ? e.message : `verify failed: ${pgErrorText(e)}`), hint && redactor.redact(hint));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Equal rows today prove nothing for a table whose changes the node discards from now on.
  // Nor for a node whose apply worker keeps failing: its rows stop where the worker did.
  const [coverage, workers] = await Promise.all([planCoverage(plan, sets, file), planWorkers(plan, sets)]);
  const covered = coverage.every((c) => !c.gaps.length && !c.error) && !workers.some(workerBroken);
  if (opts.json) out(JSON.stringify(redactor.redactValue({ plan: plan.name, ...result, coverage, workers }), null, 2) + '\n');
  else {
    out(redactor.redact(formatVerify(plan.name, result)));
    for (const c of coverage.filter((x) => x.error)) out(redactor.redact(`\n${c.node}: cannot compare its subscription with publication ${c.publication}: ${c.error}\n`));
    if (workers.some(workerBroken)) out(redactor.redact(`\n${formatWorkerHealth(workers)}`));
    if (coverage.some((c) => c.gaps.length)) out(redactor.redact(`\nNot every published table reaches the nodes:\n${formatCoverage(coverage)}`));
  }
  return result.equal && covered ? EXIT.ok : EXIT.failed;
}
