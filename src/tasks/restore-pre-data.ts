import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { dropRestoredObjects } from '../pg/drop-restored.js';
import { pgErrorText } from '../pg/connect.js';

/**
 * copy.method stream: the tables (and everything they need) on a node,
 * without indexes, constraints or triggers, so that the copy writes into bare
 * tables. Redone from scratch when an earlier attempt was cut off, or when the
 * copy that followed it ran under an anchor that is gone.
 */
export const restorePreData: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  if (redo) {
    ctx.progress('an earlier attempt left tables on this node: dropping the schema dump\'s objects before creating them again');
    try {
      await dropRestoredObjects(ctx.plan, node, ctx.dumpDir, ctx.redactor);
    } catch (e) {
      throw new OperationError(ctx.redactor.redact(`clearing the earlier attempt on ${node}: ${pgErrorText(e)}`));
    }
  }
  const step = ctx.describe().steps[0];
  if (step.type !== 'command') throw new Error('pre-data step is not a command');
  const r = await ctx.run(step.command, `pg_restore-pre-data-${node}`);
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_restore --section=pre-data onto ${node} exited ${r.exitCode}: ${r.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-pre-data-${node}.log`)}`);
  }
  return { summary: `tables created on ${node} in ${(r.durationMs / 1000).toFixed(1)} s${redo ? ' (redone from scratch)' : ''}` };
};
