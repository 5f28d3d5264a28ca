import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { dropRestoredObjects } from '../pg/drop-restored.js';
import { pgErrorText } from '../pg/connect.js';
import { watchCopies } from './copy-progress.js';
import { withoutGuardTriggers } from './restore-list.js';
import { provenKeptLocal, spockQueueMark } from '../pg/spock-ddl-queue.js';
import { subscriptionOwner, requireOwn } from '../pg/run-marks.js';
import { isPgedgeNode } from '../plan/plan.js';

export const restore: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  // Attempt 1 is this one: an earlier attempt may have left part of the
  // schema, which is dropped (exactly the dump's objects) before restoring again.
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  // Never drop or restore tables under another run's stream into this node.
  const r = ctx.plan.replication.find((x) => x.node === node);
  if (r) requireOwn(`subscription ${r.subscription} on ${node}`, await subscriptionOwner(await ctx.db(node), r.subscription, ctx.identity, ctx.stateDir), '`migrate apply`');
  if (redo) {
    ctx.progress('an earlier restore was cut off: dropping what it left before restoring again');
    try {
      await dropRestoredObjects(ctx.plan, node, ctx.dumpDir, ctx.redactor);
    } catch (e) {
      throw new OperationError(ctx.redactor.redact(`clearing the cut-off restore on ${node}: ${pgErrorText(e)}`));
    }
  }
  const step = ctx.describe().steps.find((x) => x.type === 'command');
  if (!step || step.type !== 'command') throw new Error('restore step is not a command');
  const pgedge = isPgedgeNode(ctx.plan, node);
  const mark = pgedge ? await spockQueueMark(await ctx.db(node)) : undefined;
  const stopWatching = watchCopies(ctx, node);
  const res = await withoutGuardTriggers(ctx, step.command, `pg_restore-${node}`).then((cmd) => ctx.run(cmd, `pg_restore-${node}`)).finally(stopWatching);
  if (res.exitCode !== 0) {
    throw new OperationError(`pg_restore onto ${node} exited ${res.exitCode}: ${res.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || res.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-${node}.log`)}`);
  }
  const kept = mark ? await provenKeptLocal(await ctx.db(node), node, mark, 'the restore') : '';
  return { summary: `restored onto ${node} in ${(res.durationMs / 1000).toFixed(1)} s${redo ? ' (redone from scratch)' : ''}${kept}` };
};
