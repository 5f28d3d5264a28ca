import { join, resolve } from 'node:path';
import { loadPlan, stateDir, type LoadedPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { redactorFor } from '../engine/run-stage.js';
import { InterruptedError, MigrateError, OperationError, UsageError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';
import { loadSqlParser } from '../compare/read-only.js';
import { loadQueriesFile } from '../compare/queries-file.js';
import { queriesFromStats } from '../compare/from-stats.js';
import { openCompareSession } from '../compare/sessions.js';
import { runCompare } from '../compare/compare.js';
import { formatCompare } from '../compare/format.js';
import { writeCompareReport } from '../compare/report.js';
import type { CompareQuery } from '../compare/query.js';
import { EXIT } from './exit.js';

export interface CompareOptions {
  queries?: string;
  fromStats?: number;
  duration?: number;
  count?: number;
  warmup?: number;
  concurrency?: number;
  rate?: number;
  node?: string[];
  output?: string;
  json?: boolean;
  stateDir?: string;
}

/** `migrate compare PLAN`: 0 when no query is slower on any node, 1 otherwise. */
export async function compareCommand(file: string, opts: CompareOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const { plan } = loaded;
  const redactor = redactorFor(loaded);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const settings = settingsFrom(loaded, opts);
  const nodes = opts.node?.length ? opts.node : plan.nodes.map((n) => n.name);
  for (const n of nodes) if (!plan.nodes.some((x) => x.name === n)) throw new UsageError(`--node ${n}: the plan has no such node (it has ${plan.nodes.map((x) => x.name).join(', ')})`);
  const targets = [{ name: 'source', dsn: plan.source.dsn }, ...nodes.map((n) => ({ name: n, dsn: plan.nodes.find((x) => x.name === n)!.dsn }))];
  await loadSqlParser();
  const { queries, from, approximate, notes } = await chooseQueries(loaded, opts, settings.statement_timeout_seconds);
  for (const n of notes) err(`${n}\n`);

  const controller = new AbortController();
  const onSignal = () => {
    err('\nstopping compare (the report covers what ran)...\n');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report;
  try {
    report = await runCompare({ plan: plan.name, targets, queries, queriesFrom: from, approximate, settings, signal: controller.signal });
  } catch (e) {
    const hint = e instanceof MigrateError ? e.hint : undefined;
    throw new OperationError(redactor.redact(e instanceof MigrateError ? e.message : `compare failed: ${pgErrorText(e)}`), hint && redactor.redact(hint));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const dir = opts.output ? resolve(opts.output) : join(stateDir(loaded, opts.stateDir), 'runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-compare`);
  const paths = writeCompareReport(dir, report, redactor);
  if (opts.json) out(JSON.stringify(redactor.redactValue(report), null, 2) + '\n');
  else out(redactor.redact(formatCompare(report)) + `Report: ${paths.md}\n`);
  if (controller.signal.aborted) throw new InterruptedError();
  return report.passed ? EXIT.ok : EXIT.failed;
}

function settingsFrom(loaded: LoadedPlan, opts: CompareOptions) {
  const s = { ...loaded.plan.compare };
  const number = (flag: string, v: number | undefined, ok: (v: number) => boolean, what: string) => {
    if (v === undefined) return undefined;
    if (!Number.isFinite(v) || !ok(v)) throw new UsageError(`${flag}: give ${what}`);
    return v;
  };
  s.duration_seconds = number('--duration', opts.duration, (v) => v > 0 && v <= 3600, 'a number of seconds above 0, at most 3600') ?? s.duration_seconds;
  s.warmup_seconds = number('--warmup', opts.warmup, (v) => v >= 0 && v <= 600, 'a number of seconds from 0 to 600') ?? s.warmup_seconds;
  s.count = number('--count', opts.count, (v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000, 'a whole number from 1 to 1000000') ?? s.count;
  s.concurrency = number('--concurrency', opts.concurrency, (v) => Number.isInteger(v) && v >= 1 && v <= 16, 'a whole number from 1 to 16') ?? s.concurrency;
  s.rate = number('--rate', opts.rate, (v) => v > 0 && v <= 10_000, 'queries per second above 0, at most 10000') ?? s.rate;
  return s;
}

async function chooseQueries(loaded: LoadedPlan, opts: CompareOptions, timeoutSeconds: number): Promise<{ queries: CompareQuery[]; from: string; approximate: boolean; notes: string[] }> {
  if (opts.fromStats !== undefined) {
    if (!Number.isInteger(opts.fromStats) || opts.fromStats < 1 || opts.fromStats > 50) throw new UsageError('--from-stats: give a whole number of statements from 1 to 50');
    const session = await openCompareSession({ name: 'source', dsn: loaded.plan.source.dsn }, timeoutSeconds * 1000);
    try {
      const r = await queriesFromStats(session, opts.fromStats);
      return { queries: r.queries, from: 'pg_stat_statements on the source', approximate: true, notes: r.notes };
    } finally {
      await session.end().catch(() => undefined);
    }
  }
  const file = opts.queries ? resolve(opts.queries) : loaded.plan.compare.queries ? resolve(loaded.dir, loaded.plan.compare.queries) : undefined;
  if (!file) throw new UsageError('no queries to compare: set compare.queries in the plan to a queries file, or pass --from-stats N to take the source\'s top N statements from pg_stat_statements');
  const shown = opts.queries ?? loaded.plan.compare.queries!;
  return { queries: loadQueriesFile(file, shown), from: shown, approximate: false, notes: [] };
}
