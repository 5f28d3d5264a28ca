// `migrate compare` as a library function: sessions, samples, plans, the
// measured run on every target at once, and the report's data.
import type pg from 'pg';
import type { ResolvedPlan } from '../plan/plan.js';
import type { CompareReport } from './report.types.js';
import { closeAll, openCompareSession, type CompareTarget } from './sessions.js';
import { sampleValues } from './sample.js';
import { bindQuery, type CompareQuery } from './query.js';
import { explainAll } from './explain.js';
import { planDifferences, type PlanShape } from './plan-shape.js';
import { runTarget, type QueryStats, type WorkloadSettings } from './workload.js';
import { summarize } from './histogram.js';
import { verdictOf } from './verdict.js';

export interface CompareInput {
  plan: string;
  targets: CompareTarget[];
  queries: CompareQuery[];
  queriesFrom: string;
  approximate: boolean;
  settings: ResolvedPlan['compare'];
  signal?: AbortSignal;
}

export function timingOf(settings: ResolvedPlan['compare']): string {
  return settings.rate
    ? `fixed rate of ${settings.rate} queries/s per target; latency from each query's scheduled start (coordinated-omission-safe)`
    : 'closed loop: each session sends its next query when the last returns; latency is service time';
}

export async function runCompare(input: CompareInput): Promise<CompareReport> {
  const startedAt = new Date().toISOString();
  const s = input.settings;
  const sessions = new Map<string, pg.Client[]>();
  try {
    await Promise.all(
      input.targets.map(async (t) => {
        const list: pg.Client[] = [];
        sessions.set(t.name, list);
        for (let i = 0; i < s.concurrency; i++) list.push(await openCompareSession(t, s.statement_timeout_seconds * 1000));
      }),
    );
    const samples = await sampleValues(sessions.get('source')![0], input.queries);
    const bound = input.queries.map((q) => bindQuery(q, samples));
    const shapes = await Promise.all(input.targets.map((t) => explainAll(sessions.get(t.name)![0], t.name, bound)));
    const workload: WorkloadSettings = {
      warmupMs: s.warmup_seconds * 1000,
      durationMs: s.duration_seconds * 1000,
      count: s.count,
      rate: s.rate,
      hardStopMs: s.duration_seconds * 10_000,
      signal: input.signal,
    };
    const startAt = Number(process.hrtime.bigint()) / 1e6 + 20;
    const stats = await Promise.all(input.targets.map((t) => runTarget(sessions.get(t.name)!, bound, workload, startAt)));
    return assemble(input, startedAt, stats, shapes);
  } finally {
    await closeAll([...sessions.values()].flat());
  }
}

function assemble(input: CompareInput, startedAt: string, stats: QueryStats[][], shapes: PlanShape[][]): CompareReport {
  const s = input.settings;
  const queries = input.queries.map((q, qi) => {
    const results = input.targets.map((t, ti) => {
      const st = stats[ti][qi];
      const sum = summarize(st.histogram);
      return { target: t.name, ...sum, errors: st.errors, first_error: st.firstError, rows_mean: sum.count ? Math.round((st.rows / sum.count) * 100) / 100 : null };
    });
    const nodes = input.targets.slice(1);
    const verdicts = nodes.map((n, i) => verdictOf(n.name, results[0], results[i + 1], s));
    const plans = input.targets.map((_, ti) => shapes[ti][qi]);
    const plan_differences = nodes.flatMap((n, i) => planDifferences(plans[0], plans[i + 1], n.name));
    return { name: q.name, sql: q.sql, ...(q.calls === undefined ? {} : { calls_in_stats: q.calls }), results, verdicts, plans, plan_differences };
  });
  return {
    plan: input.plan,
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    queries_from: input.queriesFrom,
    approximate: input.approximate,
    settings: {
      duration_seconds: s.duration_seconds,
      count: s.count ?? null,
      warmup_seconds: s.warmup_seconds,
      concurrency: s.concurrency,
      rate: s.rate ?? null,
      max_slowdown: s.max_slowdown,
      min_difference_ms: s.min_difference_ms,
      timing: timingOf(s),
    },
    targets: input.targets.map((t) => t.name),
    passed: queries.every((q) => q.verdicts.every((v) => v.verdict !== 'slower' && v.verdict !== 'errors')),
    queries,
  };
}
