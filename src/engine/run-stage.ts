// One run of a stage (apply, cutover): lock, journal, run directory, the task
// graph, signals, and the report, whatever happens.
import { mkdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { endOrphans } from './orphans.js';
import type pg from 'pg';
import type { LoadedPlan } from '../plan/load.js';
import { stateDir as planStateDir, dumpDir as planDumpDir } from '../plan/load.js';
import { buildGraph, type Stage, type TaskGraph, type TaskSpec } from '../plan/graph.js';
import { Redactor } from '../secrets.js';
import { Journal } from './journal.js';
import { acquireLock } from './lock.js';
import { claimRunIdentity, readRunIdentity, type RunIdentity } from './run-identity.js';
import { guardOwnership } from './ownership-guard.js';
import { runGraph, type TaskRecord } from './scheduler.js';
import { RUNNERS } from '../tasks/index.js';
import type { TaskContext } from '../tasks/context.js';
import { describeTask } from '../render/describe.js';
import { connect, connectMaintenance } from '../pg/connect.js';
import { SourceSessions } from './source-sessions.js';
import { sessionOptionsFor } from '../render/spock-local-ddl.js';
import { runCommand } from '../exec/run-command.js';
import { commandLine } from '../render/steps.js';
import { writeReport, type RunReport } from '../report/report.js';
import { InterruptedError, MigrateError, JournalWriteError } from '../errors.js';
import type { Facts } from '../facts.js';

export const VERSION = '0.1.0';

export interface StageOptions {
  stateDir?: string;
  out: (s: string) => void;
  err: (s: string) => void;
  /** Work done before the graph (preflight); may throw to stop the run before anything changes. */
  before?: (ctx: { journal: Journal; redactor: Redactor; signal: AbortSignal }) => Promise<void>;
  /** Adds to the report after the graph ran (lag at the end, cutover timings). */
  after?: (ctx: { journal: Journal; records: TaskRecord[]; report: RunReport; redactor: Redactor }) => Promise<void>;
  /** Undo on failure before a point of no return (the cutover's unfreeze). */
  onFailure?: (ctx: { journal: Journal; records: TaskRecord[]; redactor: Redactor; warn: (m: string) => void }) => Promise<void>;
  /** Message on failure or interruption: how to resume or give up. */
  nextSteps: (outcome: 'failed' | 'interrupted') => string;
  /** The operator says the run that owns the plan's objects is gone: take them over. */
  takeOver?: boolean;
  /** The stage's graph when it is not the plan's own (a `migrate ddl` change). */
  graph?: TaskGraph;
  /** Tasks of the graph to run again even if journaled done. */
  redo?: (graph: TaskSpec[], journal: Journal) => string[];
}

export interface StageResult {
  report: RunReport;
  reportPaths: { json: string; md: string };
  exitCode: number;
}

export function redactorFor(loaded: LoadedPlan): Redactor {
  const r = new Redactor();
  r.addConninfo(loaded.plan.source.dsn);
  r.addConninfo(loaded.plan.source.subscriber_dsn);
  for (const n of loaded.plan.nodes) {
    r.addConninfo(n.dsn);
    r.addConninfo(n.source_dsn);
  }
  r.addSecret(process.env.PGPASSWORD);
  return r;
}

/** The one line an error becomes in the output and the report: its message and what to do, redacted. */
function errorText(e: unknown, redactor: Redactor): string {
  return redactor.redact(e instanceof MigrateError ? e.message + (e.hint ? ` ${e.hint}` : '') : ((e as Error)?.message ?? String(e)));
}

function runStamp(stage: Stage): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${stage}`;
}

export async function runStage(loaded: LoadedPlan, stage: Stage, opts: StageOptions): Promise<StageResult> {
  const { plan } = loaded;
  const state = planStateDir(loaded, opts.stateDir);
  const dumpDir = planDumpDir(loaded, state);
  const redactor = redactorFor(loaded);
  const lock = acquireLock(state, stage, plan.name);
  const controller = new AbortController();
  const signal = controller.signal;
  let interrupts = 0;
  let journal: Journal | undefined;
  let run: RunIdentity | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      opts.err(`\n${sig}: stopping; running steps are being ended and the journal kept consistent. (Again to exit at once.)\n`);
      controller.abort();
    } else {
      const frozen = journal?.facts.freeze && !journal.facts.switched_at;
      const nodesFrozen = journal?.facts.rollback_freeze && !journal.facts.source_unfrozen_at;
      if (nodesFrozen) opts.err('\n!! Exiting at once: writes on the nodes stay FROZEN. Run `migrate rollback` again to finish it.\n');
      else opts.err(frozen ? `\n!! Exiting at once: writes on the source stay FROZEN. Run \`migrate cutover\` again (it unfreezes first) or \`migrate abort\`.\n` : '\nExiting at once.\n');
      lock.release();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const startedAt = new Date();
  const runDir = join(state, 'runs', runStamp(stage));
  try {
    mkdirSync(runDir, { recursive: true });
  } catch (e) {
    lock.release();
    throw e;
  }
  const warnings: string[] = [];
  const commands: { task: string; command: string }[] = [];
  if (lock.takenOver) warnings.push(`took over the lock of pid ${lock.takenOver.pid}, which is gone (started ${lock.takenOver.started_at})`);
  let records: TaskRecord[] = [];
  let error: string | undefined;
  let outcome: RunReport['outcome'] = 'completed';
  const shared = new Map<string, { close(): Promise<void> }>();
  // A journal that cannot be written stops the whole run at once: what any
  // task did next could not be recorded, so a rerun could not know it.
  let journalFailure: JournalWriteError | undefined;
  const journalFailed = (e: unknown) => {
    if (!(e instanceof JournalWriteError)) return;
    journalFailure ??= e;
    controller.abort();
  };
  try {
    journal = Journal.open(state, plan.name);
    for (const m of await endOrphans(journal)) warnings.push(m);
    // Only an apply makes a run; a cutover or abort from a state directory without one is nobody's.
    run = stage === 'apply' ? claimRunIdentity(state, plan.name) : readRunIdentity(state);
    warnings.push(...(await guardOwnership(loaded, run, journal, { stage, stateDir: state, dumpDir, takeOver: opts.takeOver, file: loaded.file })));
    const graph = opts.graph ?? buildGraph(plan, stage);
    await opts.before?.({ journal, redactor, signal });
    const redo = opts.redo?.(graph.tasks, journal) ?? [];
    if (redo.length) journal.forget(redo);
    const done = journal.doneSet(graph.tasks);
    if (done.size === graph.tasks.length) {
      outcome = 'nothing-to-do';
      opts.out(`Nothing to do: every task of ${stage} is done (since ${journal.data.completed[stage] ?? journal.data.updated_at}). The database was not touched. See \`migrate status\`.\n`);
      records = graph.tasks.map((t) => ({ id: t.id, title: t.title, status: 'already-done' }));
    } else {
      const j = journal;
      records = await runGraph(graph, {
        done,
        signal,
        redact: (t) => redactor.redact(t),
        write: opts.out,
        describeError: (e) => errorText(e, redactor),
        run: (spec, progress) =>
          runTask(spec, { loaded, journal: j, redactor, signal, runDir, dumpDir, shared, progress, warnings, commands, journalFailed, run, stateDir: state }).catch((e) => {
            journalFailed(e);
            throw e;
          }),
      });
      const failed = records.some((r) => r.status === 'failed');
      const interrupted = signal.aborted || records.some((r) => r.status === 'interrupted');
      outcome = interrupted ? 'interrupted' : failed ? 'failed' : 'completed';
      if (journalFailure) outcome = 'failed';
      if (outcome === 'completed') journal.complete(stage);
      else if (journalFailure) error = errorText(journalFailure, redactor);
      else error = records.find((r) => r.status === 'failed' || r.status === 'interrupted')?.error ?? 'interrupted';
    }
  } catch (e) {
    journalFailed(e);
    outcome = signal.aborted && !journalFailure ? 'interrupted' : 'failed';
    error = (e instanceof MigrateError ? '' : 'internal error: ') + errorText(journalFailure ?? e, redactor);
  } finally {
    for (const [, res] of shared) await res.close().catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if ((outcome === 'failed' || outcome === 'interrupted') && journal && opts.onFailure) {
    await opts.onFailure({ journal, records, redactor, warn: (m) => warnings.push(m) }).catch((e) => warnings.push(`undo after failure failed: ${redactor.redact(String((e as Error).message ?? e))}`));
  }
  const finishedAt = new Date();
  const report: RunReport = {
    tool: 'pgedge-migrate',
    version: VERSION,
    plan: plan.name,
    plan_file: loaded.file,
    command: stage,
    status: outcome === 'completed' || outcome === 'nothing-to-do' ? 'succeeded' : 'failed',
    outcome,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    tasks: records,
    facts: journal?.facts ?? {},
    warnings,
    commands,
    error,
  };
  if (outcome === 'failed' || outcome === 'interrupted') report.next_steps = opts.nextSteps(outcome);
  if (journal) await opts.after?.({ journal, records, report, redactor }).catch((e) => warnings.push(`could not finish the report: ${redactor.redact(String((e as Error).message ?? e))}`));
  let reportPaths = { json: join(runDir, 'report.json'), md: join(runDir, 'report.md') };
  try {
    reportPaths = writeReport(runDir, report, redactor);
  } catch (e) {
    // The disk that refused the journal usually refuses the report too: the outcome still reaches the terminal.
    warnings.push(`could not write the report in ${runDir}: ${(e as Error).message}`);
  } finally {
    lock.release();
  }
  const rel = relative(process.cwd(), runDir) || runDir;
  for (const w of warnings) opts.err(`warning: ${redactor.redact(w)}\n`);
  if (report.status === 'succeeded') {
    opts.out(`${stage} ${outcome === 'nothing-to-do' ? 'had nothing to do' : 'succeeded'} in ${(report.duration_ms / 1000).toFixed(1)} s. Report: ${rel}/report.md\n`);
  } else {
    opts.err(`\n${stage} ${outcome === 'interrupted' ? 'was interrupted' : 'failed'}: ${error}\n${report.next_steps}\nReport: ${rel}/report.md\n`);
  }
  return { report, reportPaths, exitCode: report.status === 'succeeded' ? 0 : 1 };
}

interface RunTaskEnv {
  loaded: LoadedPlan;
  journal: Journal;
  redactor: Redactor;
  signal: AbortSignal;
  runDir: string;
  dumpDir: string;
  shared: Map<string, { close(): Promise<void> }>;
  progress: (m: string, fromChild?: boolean) => void;
  warnings: string[];
  commands: { task: string; command: string }[];
  journalFailed: (e: unknown) => void;
  run?: RunIdentity;
  stateDir: string;
}

/** A session on another database of a server (the source's, or a node's in the rollback), kept for the whole stage. */
function heldServerSession(shared: RunTaskEnv['shared'], open: () => Promise<pg.Client>, key = 'cutover-source-server'): Promise<pg.Client> {
  let held = shared.get(key) as { client: Promise<pg.Client>; close(): Promise<void> } | undefined;
  if (!held) {
    const client = open();
    held = { client, close: () => client.then((c) => c.end()).catch(() => undefined) };
    client.catch(() => shared.delete(key));
    shared.set(key, held);
  }
  return held.client;
}

/** The cutover's source sessions, one set for the stage (see source-sessions.ts). */
function sourceSessions(env: RunTaskEnv): SourceSessions {
  let held = env.shared.get('cutover-source') as SourceSessions | undefined;
  if (!held) {
    held = new SourceSessions(() => connect(env.loaded.plan.source.dsn, 'the source'), () => Boolean(env.journal.facts.freeze?.closed));
    env.shared.set('cutover-source', held);
  }
  return held;
}

/**
 * The rollback's sessions on one node: from the nodes' freeze on, their
 * databases take no new connection either, so the steps after it run on
 * sessions opened at the readiness check (the cutover's source sessions, per node).
 */
function nodeSessions(env: RunTaskEnv, node: string): SourceSessions {
  const key = `rollback-node:${node}`;
  let held = env.shared.get(key) as SourceSessions | undefined;
  if (!held) {
    const n = env.loaded.plan.nodes.find((x) => x.name === node);
    if (!n) throw new Error(`unknown database "${node}"`);
    const options = sessionOptionsFor(env.loaded.plan, node);
    held = new SourceSessions(() => connect(n.dsn, `node ${node}`, options ? { options } : {}), () => Boolean(env.journal.facts.rollback_freeze?.closed));
    env.shared.set(key, held);
  }
  return held;
}

async function runTask(spec: TaskSpec, env: RunTaskEnv): Promise<{ summary?: string; continued?: boolean }> {
  const runner = RUNNERS[spec.kind];
  if (!runner) throw new Error(`no runner for task kind ${spec.kind}`);
  const { loaded, journal, redactor, signal } = env;
  // Promises, not clients: two steps of a task asking for one database at
  // once share one connection, and a connection still being opened when the
  // task ends is closed as soon as it is open instead of keeping the process alive.
  const clients = new Map<string, Promise<pg.Client>>();
  let closed = false;
  let ownSource: Promise<pg.Client> | undefined;
  const ownNodes = new Map<string, Promise<pg.Client>>();
  const closeAll = async () => {
    closed = true;
    for (const c of clients.values()) await c.then((x) => x.end()).catch(() => undefined);
    clients.clear();
    // Given back for the next step; ended when stopping, which ends a query still running on it.
    if (ownSource) await ownSource.then((c) => (signal.aborted ? c.end() : sourceSessions(env).give(c))).catch(() => undefined);
    ownSource = undefined;
    for (const [node, c] of ownNodes) await c.then((x) => (signal.aborted ? x.end() : nodeSessions(env, node).give(x))).catch(() => undefined);
    ownNodes.clear();
  };
  const onAbort = () => void closeAll();
  signal.addEventListener('abort', onAbort, { once: true });
  const dsnOf = (where: string) => (where === 'source' ? loaded.plan.source.dsn : loaded.plan.nodes.find((n) => n.name === where)?.dsn);
  const ctx: TaskContext = {
    loaded,
    plan: loaded.plan,
    spec,
    facts: journal.facts,
    journal,
    runDir: env.runDir,
    dumpDir: env.dumpDir,
    redactor,
    signal,
    shared: env.shared,
    describe: () => describeTask(spec, { plan: loaded.plan, dumpDir: env.dumpDir, facts: journal.facts, reveal: true, runId: process.pid, runMark: env.run }),
    progress: env.progress,
    warn: (m) => env.warnings.push(`${spec.id}: ${m}`),
    record: (facts) => journal.record(facts),
    db: (where) => {
      if (where === 'source' && spec.stage === 'cutover') {
        if (signal.aborted || closed) return Promise.reject(new InterruptedError());
        return (ownSource ??= sourceSessions(env).take());
      }
      if (where !== 'source' && spec.stage === 'rollback') {
        if (signal.aborted || closed) return Promise.reject(new InterruptedError());
        let session = ownNodes.get(where);
        if (!session) {
          session = Promise.resolve().then(() => nodeSessions(env, where).take());
          session.catch(() => ownNodes.delete(where));
          ownNodes.set(where, session);
        }
        return session;
      }
      const existing = clients.get(where);
      if (existing) return existing;
      const dsn = dsnOf(where);
      if (!dsn) return Promise.reject(new Error(`unknown database "${where}"`));
      if (signal.aborted || closed) return Promise.reject(new InterruptedError());
      const options = sessionOptionsFor(loaded.plan, where);
      const opening = connect(dsn, where === 'source' ? 'the source' : `node ${where}`, options ? { options } : {}).then(async (c) => {
        if (closed) {
          await c.end().catch(() => undefined);
          throw new InterruptedError();
        }
        return c;
      });
      opening.catch(() => clients.delete(where));
      clients.set(where, opening);
      return opening;
    },
    sourceServer: () => heldServerSession(env.shared, () => connectMaintenance(loaded.plan.source.dsn, 'the source')),
    warmSourceSessions: (count) => sourceSessions(env).warm(count),
    ownSourceSession: () => sourceSessions(env).takeOwn(),
    ownSourcePids: () => sourceSessions(env).pids(),
    nodeServer: (node) => {
      const n = loaded.plan.nodes.find((x) => x.name === node);
      if (!n) return Promise.reject(new Error(`unknown node "${node}"`));
      return heldServerSession(env.shared, () => connectMaintenance(n.dsn, `node ${node}`), `rollback-node-server:${node}`);
    },
    warmNodeSessions: async (count) => void (await Promise.all(loaded.plan.nodes.map((n) => nodeSessions(env, n.name).warm(count)))),
    ownNodePids: (node) => nodeSessions(env, node).pids(),
    run: async (cmd, logName, o) => {
      env.commands.push({ task: spec.id, command: redactor.redact(commandLine({ type: 'command', command: cmd })) });
      try {
        return await runCommand(cmd, {
          logFile: join(env.runDir, `${logName}.log`),
          redactor,
          signal,
          cwd: o?.cwd,
          env: o?.env,
          timeoutMs: o?.timeoutMs,
          onSpawn: (pid) => journal.childStarted(spec.id, pid, basename(cmd.program)),
          onLine: (l) => env.progress(l.slice(0, 160), true),
        });
      } finally {
        journal.childEnded(spec.id);
      }
    },
    sqlRan: (where, sql) => env.commands.push({ task: spec.id, command: redactor.redact(`SQL on ${where}: ${sql.trim().replace(/\s*\n\s*/g, ' ')}`) }),
    identity: env.run,
    stateDir: env.stateDir,
    sleep: (ms) =>
      new Promise((resolve) => {
        // Polls sleep thousands of times: each must take its abort listener away again.
        const wake = () => {
          clearTimeout(t);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const t = setTimeout(wake, ms);
        signal.addEventListener('abort', wake, { once: true });
      }),
  };
  journal.started(spec.id);
  try {
    const outcome = await runner(ctx);
    if (signal.aborted) throw new InterruptedError();
    const facts: Partial<Facts> = outcome.facts ?? {};
    journal.finished(spec.id, 'done', facts, outcome.summary && redactor.redact(outcome.summary));
    return outcome;
  } catch (e) {
    try {
      journal.finished(spec.id, 'failed', {}, redactor.redact((e as Error)?.message ?? String(e)));
    } catch (je) {
      // The task's own error is the one to report; the journal's stops the run.
      env.journalFailed(je);
    }
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await closeAll();
  }
}
