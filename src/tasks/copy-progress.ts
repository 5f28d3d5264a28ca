// While pg_dump or pg_restore runs: their COPYs' progress under the task,
// every second in a terminal (the CI log keeps one line every 10 s).
import type { TaskContext } from './context.js';
import { formatCopyProgress, readCopyProgress, rowEstimates, type CopySample } from '../pg/copy-progress.js';

export const COPY_PROGRESS_EVERY_MS = 1_000;

/** Starts watching the copies on `where`; the returned function stops it. Progress is a nicety: a failed look is ignored. */
export function watchCopies(ctx: TaskContext, where: string): () => Promise<void> {
  let stopped = false;
  const watching = (async () => {
    const estimates = await ctx.db('source').then(rowEstimates).catch(() => new Map<string, number>());
    let before: CopySample[] = [];
    let at = Date.now();
    while (!stopped && !ctx.signal.aborted) {
      await ctx.sleep(COPY_PROGRESS_EVERY_MS);
      if (stopped) break;
      const now = await ctx.db(where).then(readCopyProgress).catch(() => undefined);
      if (!now) continue;
      const t = Date.now();
      if (now.length) ctx.progress(`copying: ${formatCopyProgress(now, before, (t - at) / 1000, estimates)}`);
      [before, at] = [now, t];
    }
  })();
  return async () => {
    stopped = true;
    await watching.catch(() => undefined);
  };
}
