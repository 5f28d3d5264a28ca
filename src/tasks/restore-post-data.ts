import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { sectionRestoreCommand } from '../render/copy-sql.js';

/**
 * copy.method stream: indexes, constraints and triggers, built once the rows
 * are in (faster than maintaining them row by row), pg_restore -j per node.
 * The data is not touched: a cut-off build is redone with --clean, which drops
 * only what post-data creates.
 */
export const restorePostData: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  const cmd = sectionRestoreCommand(ctx.plan, node, ctx.dumpDir, 'post-data', redo);
  const r = await ctx.run(cmd, `pg_restore-post-data-${node}`);
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_restore --section=post-data onto ${node} exited ${r.exitCode}: ${r.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-post-data-${node}.log`)}`);
  }
  return { summary: `indexes and constraints built on ${node} in ${(r.durationMs / 1000).toFixed(1)} s${redo ? ' (cut-off build dropped and redone)' : ''}` };
};
