// Progress for CI logs and other non-terminals: one timestamped line per
// event, written when it really happens (a task starts once its dependencies
// are done, not when the graph is drawn), progress at most every few seconds.
export interface ProgressLog {
  start(id: string, title: string): void;
  progress(id: string, message: string): void;
  done(id: string, summary: string | undefined, ms: number): void;
  failed(id: string, error: string): void;
  skipped(id: string, why: string): void;
}

const PROGRESS_EVERY_MS = 10_000;

export function plainLines(write: (s: string) => void): ProgressLog {
  const lastProgress = new Map<string, number>();
  const stamp = () => new Date().toISOString().slice(11, 19);
  const line = (word: string, id: string, text: string) => write(`${stamp()} ${word.padEnd(7)} [${id}] ${text}\n`);
  return {
    start: (id, title) => line('start', id, title),
    progress: (id, message) => {
      const now = Date.now();
      if (now - (lastProgress.get(id) ?? 0) < PROGRESS_EVERY_MS) return;
      lastProgress.set(id, now);
      line('...', id, message);
    },
    done: (id, summary, ms) => line('done', id, `${summary ?? 'ok'} (${(ms / 1000).toFixed(1)} s)`),
    failed: (id, error) => line('FAILED', id, error),
    skipped: (id, why) => line('skip', id, why),
  };
}
