// While pg_dump, pg_restore or the stream copy runs: their COPYs' progress
// under the task, every second in a terminal (the CI log keeps one line every
// 10 s).
import type { TaskContext } from './context.js';
import { formatCopyProgress, readCopyProgress, rowEstimates, type CopySample } from '../pg/copy-progress.js';

export const COPY_PROGRESS_EVERY_MS = 1_000;

/**
 * Starts watching the copies on `where`; the returned function stops it.
 * Progress is a nicety: a failed look is ignored. `show` gets each look's
 * line (default: printed under the task).
 */
export function watchCopies(ctx: TaskContext, where: string, show: (line: string) => void = (l) => ctx.progress(`copying: ${l}`)): () => Promise<void> {
  let stopped = false;
  let wake = () => {};
  // Stopping does not wait out the look's sleep: the task's next step is waiting.
  const stopping = new Promise<void>((resolve) => (wake = resolve));
  const watching = (async () => {
    const estimates = await ctx.db('source').then(rowEstimates).catch(() => new Map<string, number>());
    let before: CopySample[] = [];
    let at = Date.now();
    while (!stopped && !ctx.signal.aborted) {
      await Promise.race([ctx.sleep(COPY_PROGRESS_EVERY_MS), stopping]);
      if (stopped) break;
      const now = await ctx.db(where).then(readCopyProgress).catch(() => undefined);
      if (!now) continue;
      const t = Date.now();
      show(now.length ? formatCopyProgress(now, before, (t - at) / 1000, estimates) : '');
      [before, at] = [now, t];
    }
  })();
  return async () => {
    stopped = true;
    wake();
    await watching.catch(() => undefined);
  };
}
