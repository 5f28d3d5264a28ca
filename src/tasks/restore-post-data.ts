import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { dropPostData } from '../pg/drop-post-data.js';
import { withoutGuardTriggers } from './restore-list.js';
import { provenKeptLocal, spockQueueMark } from '../pg/spock-ddl-queue.js';
import type { SpockMarks } from './restore-pre-data.js';
import { isPgedgeNode } from '../plan/plan.js';

/**
 * copy.method stream: indexes, constraints and triggers, built once the rows
 * are in (faster than maintaining them row by row), pg_restore -j per node.
 * The data is not touched: what a cut-off build left is dropped first (only
 * what post-data creates), then the build is redone.
 */
export const restorePostData: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  if (redo) {
    ctx.progress('an earlier index build was cut off: dropping what it built before building again');
    await dropPostData(ctx.plan, node, ctx.dumpDir, ctx.redactor);
  }
  // From before the pre-data restore when it ran in this journal: the proof then covers the schema, the copy's TRUNCATEs and the index build.
  const pgedge = isPgedgeNode(ctx.plan, node);
  const mark = pgedge ? ((ctx.facts.spock_marks as SpockMarks | undefined)?.[node] ?? (await spockQueueMark(await ctx.db(node)))) : undefined;
  const step = ctx.describe().steps[0];
  if (step.type !== 'command') throw new Error('post-data step is not a command');
  const r = await ctx.run(await withoutGuardTriggers(ctx, step.command, `pg_restore-post-data-${node}`), `pg_restore-post-data-${node}`);
  if (r.exitCode !== 0) {
    throw new OperationError(`pg_restore --section=post-data onto ${node} exited ${r.exitCode}: ${r.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || r.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-post-data-${node}.log`)}`);
  }
  const kept = mark ? await provenKeptLocal(await ctx.db(node), node, mark, 'the schema restore (pre-data, post-data) and the copy') : '';
  return { summary: `indexes and constraints built on ${node} in ${(r.durationMs / 1000).toFixed(1)} s${redo ? ' (cut-off build dropped and redone)' : ''}${kept}` };
};
