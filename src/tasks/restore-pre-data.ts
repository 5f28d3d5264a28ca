import { join } from 'node:path';
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { dropRestoredObjects } from '../pg/drop-restored.js';
import { pgErrorText } from '../pg/connect.js';
import { subscriptionOwner, requireOwn } from '../pg/run-marks.js';
import { provenKeptLocal, spockQueueMark } from '../pg/spock-ddl-queue.js';
import { isPgedgeNode } from '../plan/plan.js';

/** Per node, the Spock queue's clock before the pre-data restore: post-data proves from it that nothing of the schema, the copy or the index build was queued. */
export type SpockMarks = Record<string, string>;

/**
 * copy.method stream: the tables (and everything they need) on a node,
 * without indexes, constraints or triggers, so that the copy writes into bare
 * tables. Redone from scratch when an earlier attempt was cut off, or when the
 * copy that followed it ran under an anchor that is gone.
 */
export const restorePreData: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  const redo = ctx.journal.attempts(ctx.spec.id) > 1;
  // Never drop or restore tables under another run's stream into this node.
  const r = ctx.plan.replication.find((x) => x.node === node);
  if (r) requireOwn(`subscription ${r.subscription} on ${node}`, await subscriptionOwner(await ctx.db(node), r.subscription, ctx.identity, ctx.stateDir), '`migrate apply`');
  if (redo) {
    ctx.progress('an earlier attempt left tables on this node: dropping the schema dump\'s objects before creating them again');
    try {
      await dropRestoredObjects(ctx.plan, node, ctx.dumpDir, ctx.redactor);
    } catch (e) {
      throw new OperationError(ctx.redactor.redact(`clearing the earlier attempt on ${node}: ${pgErrorText(e)}`));
    }
  }
  const pgedge = isPgedgeNode(ctx.plan, node);
  const mark = pgedge ? await spockQueueMark(await ctx.db(node)) : undefined;
  if (mark) ctx.record({ spock_marks: { ...(ctx.facts.spock_marks as SpockMarks | undefined), [node]: mark } });
  // On a pgEdge node the runbook notes the time first (by hand); the run took its mark above.
  const step = ctx.describe().steps.find((x) => x.type === 'command');
  if (!step || step.type !== 'command') throw new Error('pre-data step is not a command');
  const res = await ctx.run(step.command, `pg_restore-pre-data-${node}`);
  if (res.exitCode !== 0) {
    throw new OperationError(`pg_restore --section=pre-data onto ${node} exited ${res.exitCode}: ${res.tail.filter((l) => /error/i.test(l)).slice(-3).join(' | ') || res.tail.slice(-3).join(' | ')}`, `Full output: ${join(ctx.runDir, `pg_restore-pre-data-${node}.log`)}`);
  }
  const kept = mark ? await provenKeptLocal(await ctx.db(node), node, mark, 'the schema restore (pre-data)') : '';
  return { summary: `tables created on ${node} in ${(res.durationMs / 1000).toFixed(1)} s${redo ? ' (redone from scratch)' : ''}${kept}` };
};
