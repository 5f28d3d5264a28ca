// Runs a task graph: every task starts as soon as its dependencies are done,
// so independent tasks (the restores, the per-node steps) run at once. listr2
// draws it: a live tree in a terminal, timestamped lines in CI.
import { Listr, type ListrTask } from 'listr2';
import type { TaskGraph, TaskSpec } from '../plan/graph.js';
import type { TaskOutcome } from '../tasks/context.js';
import { plainLines } from '../report/plain-lines.js';
import type { TaskRecord } from '../report/report.types.js';

export type { TaskRecord };
export type TaskStatus = TaskRecord['status'];

export interface SchedulerHooks {
  /** Already done in an earlier run (per the journal). */
  done: Set<string>;
  signal: AbortSignal;
  run(spec: TaskSpec, progress: (message: string, fromChild?: boolean) => void): Promise<TaskOutcome>;
  /** Turns an error into the one line shown and recorded. */
  describeError(e: unknown): string;
  redact(text: string): string;
  /** Where plain progress lines go when output is not a terminal. */
  write(text: string): void;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ([resolve, reject] = [res, rej]));
  promise.catch(() => undefined); // A failure is recorded where it happens; dependents only skip.
  return { promise, resolve, reject };
}

class DependencyFailed extends Error {}

export function plainOutput(): boolean {
  return !process.stdout.isTTY || Boolean(process.env.CI) || process.env.TERM === 'dumb';
}

export async function runGraph(graph: TaskGraph, hooks: SchedulerHooks): Promise<TaskRecord[]> {
  const records = new Map<string, TaskRecord>(graph.tasks.map((t) => [t.id, { id: t.id, title: t.title, status: 'skipped' }]));
  const finished = new Map<string, Deferred>(graph.tasks.map((t) => [t.id, deferred()]));
  const plain = plainOutput() ? plainLines(hooks.write) : undefined;

  const listrTasks: ListrTask[] = graph.tasks.map((spec) => ({
    title: `[${spec.id}] ${spec.title}`,
    task: async (_ctx, task) => {
      const rec = records.get(spec.id)!;
      const mine = finished.get(spec.id)!;
      if (hooks.done.has(spec.id)) {
        rec.status = 'already-done';
        plain?.skipped(spec.id, 'done in an earlier run');
        mine.resolve();
        task.skip(`[${spec.id}] done in an earlier run`);
        return;
      }
      // listr2 starts every task of a concurrent list at once; in a terminal
      // the ones still waiting say what for.
      const pending = new Set(spec.deps.filter((d) => !['succeeded', 'already-done', 'failed-continued'].includes(records.get(d)!.status)));
      const showWaiting = () => {
        if (!plain && pending.size) task.output = `waiting for ${[...pending].join(', ')}`;
      };
      showWaiting();
      try {
        await Promise.all(
          spec.deps.map((d) =>
            finished.get(d)!.promise.then(() => {
              pending.delete(d);
              showWaiting();
            }),
          ),
        );
      } catch (e) {
        rec.status = hooks.signal.aborted ? 'interrupted' : 'skipped';
        mine.reject(new DependencyFailed());
        const why = `not started: ${hooks.signal.aborted ? 'interrupted' : 'a task it depends on did not finish'}`;
        plain?.skipped(spec.id, why);
        task.skip(`[${spec.id}] ${why}`);
        return;
      }
      if (hooks.signal.aborted) {
        rec.status = 'interrupted';
        mine.reject(new DependencyFailed());
        plain?.skipped(spec.id, 'not started: interrupted');
        task.skip(`[${spec.id}] not started: interrupted`);
        return;
      }
      const started = Date.now();
      rec.started_at = new Date(started).toISOString();
      plain?.start(spec.id, spec.title);
      const progress = (m: string, fromChild = false) => {
        if (!plain) task.output = hooks.redact(m);
        else if (!fromChild) plain.progress(spec.id, hooks.redact(m));
      };
      try {
        const outcome = await hooks.run(spec, progress);
        rec.status = outcome.continued ? 'failed-continued' : 'succeeded';
        rec.summary = outcome.summary && hooks.redact(outcome.summary);
        if (rec.summary) task.title = `[${spec.id}] ${spec.title}: ${rec.summary}`;
        plain?.done(spec.id, rec.summary, Date.now() - started);
        mine.resolve();
      } catch (e) {
        rec.status = hooks.signal.aborted ? 'interrupted' : 'failed';
        rec.error = hooks.describeError(e);
        plain?.failed(spec.id, rec.error);
        mine.reject(e as Error);
        throw new Error(`[${spec.id}] ${rec.error}`);
      } finally {
        rec.finished_at = new Date().toISOString();
        rec.duration_ms = Date.now() - started;
      }
    },
    rendererOptions: { persistentOutput: false },
  }));

  const listr = new Listr(listrTasks, {
    concurrent: true,
    exitOnError: false,
    registerSignalListeners: false,
    collectErrors: false,
    renderer: plain ? 'silent' : 'default',
    rendererOptions: { collapseSubtasks: false, showErrorMessage: true, collapseSkips: false, timer: undefined },
  });
  await listr.run().catch(() => undefined);
  return graph.tasks.map((t) => records.get(t.id)!);
}
