// `migrate status --prometheus` and `--watch`: the same reading as
// `migrate metrics`, printed once in Prometheus format, or redrawn.
import { loadPlan } from '../plan/load.js';
import { redactorFor } from '../engine/run-stage.js';
import { UsageError } from '../errors.js';
import { collectSample } from './sample.js';
import { renderPrometheus } from './prometheus.js';
import { watchStatus } from './watch.js';

export interface StatusModeOptions {
  stateDir?: string;
  interval?: number;
}

/** Exit 1 when a node is not streaming, as `migrate status`. */
export async function printPrometheus(file: string, opts: StatusModeOptions, out: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const sample = await collectSample(loaded, opts.stateDir);
  out(redactorFor(loaded).redact(await renderPrometheus(sample)));
  return sample.source_up && sample.nodes.every((n) => n.streaming) ? 0 : 1;
}

export async function watch(file: string, opts: StatusModeOptions, out: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const interval = opts.interval ?? 2;
  if (!(Number.isFinite(interval) && interval >= 0.5 && interval <= 3600)) throw new UsageError('--interval: give a number of seconds from 0.5 to 3600');
  const redactor = redactorFor(loaded);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await watchStatus(loaded, { intervalSeconds: interval, tty: Boolean(process.stdout.isTTY) && !process.env.CI, stateDir: opts.stateDir, signal: controller.signal }, (s) => out(redactor.redact(s)));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
