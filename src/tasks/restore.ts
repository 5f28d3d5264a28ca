import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';

export const restore: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  // Attempt 1 is this one; an earlier attempt may have left part of the schema.
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  if (redo) ctx.progress('an earlier restore was cut off: restoring again with --clean --if-exists');
  const step = ctx.describe({ cleanRestore: redo }).steps[0];
  if (step.type !== 'command') throw new Error('restore step is not a command');
  const r = await ctx.run(step.command, `pg_restore-${node}`);
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_restore onto ${node} exited ${r.exitCode}: ${r.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-${node}.log`)}`);
  }
  return { summary: `restored onto ${node} in ${(r.durationMs / 1000).toFixed(1)} s${redo ? ' (redone cleanly)' : ''}` };
};
