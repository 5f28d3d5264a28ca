import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TaskRunner } from './context.js';
import { ANCHOR } from './export-snapshot.js';
import { OperationError } from '../errors.js';
import { emptyDumpDirectory, isDumpDirectory, restrictDumpDirectory } from '../engine/dump-directory.js';
import { watchCopies } from './copy-progress.js';

export const dump: TaskRunner = async (ctx) => {
  const anchor = ctx.shared.get(ANCHOR);
  if (!anchor || !ctx.facts.anchor) throw new OperationError('the snapshot anchor is not open in this run; the dump cannot be taken without it');
  if (existsSync(ctx.dumpDir)) {
    if (!isDumpDirectory(ctx.dumpDir)) {
      throw new OperationError(`${ctx.dumpDir} exists and holds files pg_dump did not write`, 'Point dump.directory at an empty or new directory.');
    }
    // A dump cut off earlier is incomplete: it is retaken whole at the new anchor.
    // pg_dump -Fd writes into an existing directory when it is empty.
    emptyDumpDirectory(ctx.dumpDir);
  }
  // The runbook's mkdir, done here without a shell: pg_dump creates only the last component of the path.
  mkdirSync(dirname(ctx.dumpDir), { recursive: true, mode: 0o700 });
  const step = ctx.describe().steps.find((x) => x.type === 'command' && basename(x.command.program) === 'pg_dump');
  if (step?.type !== 'command') throw new Error('dump step is not a command');
  const stopWatching = watchCopies(ctx, 'source');
  const r = await ctx.run(step.command, 'pg_dump').finally(stopWatching);
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_dump exited ${r.exitCode}: ${r.tail.filter((l) => /error|fatal/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, 'pg_dump.log')}`);
  }
  // pg_dump makes it 0700 itself; made sure of, as it holds all the data.
  restrictDumpDirectory(ctx.dumpDir);
  // The snapshot has served its purpose; closing the connection drops the temporary slot.
  await anchor.close();
  ctx.shared.delete(ANCHOR);
  return { summary: `dumped in ${(r.durationMs / 1000).toFixed(1)} s to ${ctx.dumpDir}` };
};
