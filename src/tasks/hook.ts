import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { sqlAsWritten } from '../plan/plan.js';
import { pgErrorText } from '../pg/connect.js';

/** A plan hook: a shell command in the plan's directory, or SQL on the source, a node, or every node. */
export const hook: TaskRunner = async (ctx) => {
  const h = ctx.plan.hooks[ctx.spec.hookIndex!];
  const label = h.name ?? ctx.spec.id;
  try {
    if (h.run) {
      const step = ctx.describe().steps[0];
      if (step.type !== 'command') throw new Error('hook step is not a command');
      const r = await ctx.run(step.command, ctx.spec.id.replace(':', '-'), {
        cwd: ctx.loaded.dir,
        timeoutMs: h.timeout_seconds * 1000,
        env: { MIGRATE_PLAN: ctx.plan.name, MIGRATE_RUN_DIR: ctx.runDir, MIGRATE_HOOK: label },
      });
      if (r.exitCode !== 0) throw new OperationError(`hook ${label} exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
      return { summary: `hook ${label} ran` };
    }
    const targets = h.on === 'nodes' ? ctx.plan.nodes.map((n) => n.name) : [h.on];
    for (const where of targets) {
      const client = await ctx.db(where);
      await client.query(`SET statement_timeout = ${h.timeout_seconds * 1000}`);
      // As written: a ${VAR} in it may be a secret the redactor does not know.
      ctx.sqlRan(where, sqlAsWritten(h)!);
      try {
        await client.query(h.sql!);
      } catch (e) {
        throw new OperationError(ctx.redactor.redact(`hook ${label} on ${where}: ${pgErrorText(e)}`));
      }
    }
    return { summary: `hook ${label} ran on ${targets.join(', ')}` };
  } catch (e) {
    if (h.continue_on_error && e instanceof OperationError) {
      ctx.warn(`${e.message} (continue_on_error: the run goes on)`);
      return { summary: `hook ${label} failed; continued`, continued: true };
    }
    throw e;
  }
};
