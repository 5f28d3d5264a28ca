import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskRunner } from './context.js';
import { ANCHOR } from './export-snapshot.js';
import { emptyDumpDirectory, isDumpDirectory } from '../engine/dump-directory.js';
import { OperationError } from '../errors.js';

/**
 * copy.method stream: only the schema goes to the dump directory. The anchor
 * stays open: the copy of the data still has to import its snapshot.
 */
export const dumpSchema: TaskRunner = async (ctx) => {
  if (!ctx.shared.get(ANCHOR) || !ctx.facts.anchor) throw new OperationError('the snapshot anchor is not open in this run; the schema cannot be dumped without it');
  if (existsSync(ctx.dumpDir)) {
    if (!isDumpDirectory(ctx.dumpDir)) {
      throw new OperationError(`${ctx.dumpDir} exists and holds files pg_dump did not write`, 'Point dump.directory at an empty or new directory.');
    }
    // A schema dump from an earlier anchor belongs to that snapshot: retaken at this one.
    emptyDumpDirectory(ctx.dumpDir);
  } else {
    // pg_dump creates only the last component of the path.
    mkdirSync(dirname(ctx.dumpDir), { recursive: true });
  }
  const step = ctx.describe().steps[0];
  if (step.type !== 'command') throw new Error('dump step is not a command');
  const r = await ctx.run(step.command, 'pg_dump');
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_dump exited ${r.exitCode}: ${r.tail.filter((l) => /error|fatal/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, 'pg_dump.log')}`);
  }
  return { summary: `schema dumped in ${(r.durationMs / 1000).toFixed(1)} s to ${ctx.dumpDir}` };
};
