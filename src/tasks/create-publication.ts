import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { publicationOwner, requireOwn } from '../pg/run-marks.js';

export const createPublication: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const source = await ctx.db('source');
  // Checked again here, not only when the stage starts: another run may have created it since.
  const owner = await publicationOwner(source, r.publication, ctx.identity, ctx.stateDir);
  requireOwn(`publication ${r.publication} on the source`, owner, '`migrate apply`');
  if (owner.kind === 'ours') return { summary: `publication ${r.publication} already exists (created by this run)` };
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `created publication ${r.publication}` };
};
