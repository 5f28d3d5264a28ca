// What apply makes sure of before the graph runs, fresh or resumed: what would
// otherwise fail only after the slots exist (and hold WAL on the source). A
// resumed apply skips the full preflight, so these are asked here every time.
import type { LoadedPlan } from '../plan/load.js';
import type { Journal } from './journal.js';
import { whyNotWritable } from '../pg/node-writable.js';
import { dumpDirectoryProblem } from './dump-directory.js';
import { pgErrorText } from '../pg/connect.js';
import { OperationError } from '../errors.js';

/** Refuses, naming every problem, when a node the restore still has to reach cannot take writes, or the dump cannot be written. */
export async function ensureApplyCanRun(loaded: LoadedPlan, journal: Journal, dumpDir: string): Promise<void> {
  const done = (id: string) => journal.data.tasks[id]?.status === 'done';
  const problems: string[] = [];
  if (!done('dump')) {
    const p = dumpDirectoryProblem(dumpDir);
    if (p) problems.push(`dump.directory: ${p.found}. ${p.fix}`);
  }
  const nodes = loaded.plan.nodes.filter((n) => !done(`subscription:${n.name}`));
  const found = await Promise.all(
    nodes.map(async (n) => {
      try {
        const p = await whyNotWritable(n.dsn, `node ${n.name}`);
        return p && `${p.found}. Fix: ${p.fix}`;
      } catch (e) {
        return pgErrorText(e);
      }
    }),
  );
  problems.push(...found.filter((p): p is string => Boolean(p)));
  if (!problems.length) return;
  const started = Object.keys(journal.data.tasks).length > 0;
  throw new OperationError(
    `apply cannot run:\n  ${problems.join('\n  ')}\n`,
    started ? 'Nothing more was changed; fix it and run apply again.' : 'Nothing was changed; fix it (`migrate check` shows the same) and run apply again.',
  );
}
