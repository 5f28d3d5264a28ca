// `migrate ddl --recorded`: once the statements the guard recorded on the
// source are on every node, the record says so (status and cutover read it).
import type { TaskRunner } from './context.js';
import { markBrought } from '../pg/ddl-log.js';

export const ddlMark: TaskRunner = async (ctx) => {
  const { recorded, change } = ctx.spec.ddl!;
  await markBrought(await ctx.db('source'), recorded ?? [], change);
  return { summary: `recorded statements ${(recorded ?? []).join(', ')} marked as brought to the nodes` };
};
