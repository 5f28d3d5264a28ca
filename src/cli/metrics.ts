import { loadPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { redactorFor } from '../engine/run-stage.js';
import { OperationError, UsageError } from '../errors.js';
import { collectSample } from '../metrics/sample.js';
import { parseListen, serveMetrics } from '../metrics/server.js';
import { writeTextfile } from '../metrics/textfile.js';
import { EXIT } from './exit.js';

export interface MetricsOptions {
  listen?: string;
  textfile?: string;
  interval?: number;
  once?: boolean;
  stateDir?: string;
}

/** `migrate metrics PLAN`: /metrics for Prometheus, and/or a textfile for node_exporter, until stopped. */
export async function metricsCommand(file: string, opts: MetricsOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const loaded = loadPlan(file);
  const redactor = redactorFor(loaded);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const interval = opts.interval ?? 15;
  if (!(Number.isFinite(interval) && interval >= 1 && interval <= 3600)) throw new UsageError('--interval: give a number of seconds from 1 to 3600');
  const listen = opts.listen ?? (opts.textfile ? undefined : '127.0.0.1:9187');
  const address = listen === undefined ? undefined : parseListen(listen);
  if (listen !== undefined && !address) throw new UsageError(`--listen ${listen}: give HOST:PORT, e.g. 127.0.0.1:9187`);
  if (opts.once && !opts.textfile) throw new UsageError('--once writes the textfile once: give --textfile PATH');
  const collect = () => collectSample(loaded, opts.stateDir);
  const log = (s: string) => err(redactor.redact(s));

  if (opts.once) {
    await writeTextfile(opts.textfile!, await collect());
    out(`wrote ${opts.textfile}\n`);
    return EXIT.ok;
  }
  const server = address
    ? await serveMetrics(address, collect, log).catch((e) => {
        throw new OperationError(`--listen ${listen}: ${(e as Error).message}`, 'Choose a free port, or an address of this machine.');
      })
    : undefined;
  if (server) out(`serving http://${listen}/metrics for plan ${loaded.plan.name} (Ctrl-C to stop)\n`);
  let timer: NodeJS.Timeout | undefined;
  const writeOnce = async () => {
    try {
      await writeTextfile(opts.textfile!, await collect());
    } catch (e) {
      log(`writing ${opts.textfile} failed: ${(e as Error).message}\n`);
    }
  };
  if (opts.textfile) {
    await writeOnce();
    out(`writing ${opts.textfile} every ${interval} s (Ctrl-C to stop)\n`);
    timer = setInterval(writeOnce, interval * 1000);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (timer) clearInterval(timer);
  if (server) {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
  return EXIT.ok;
}
