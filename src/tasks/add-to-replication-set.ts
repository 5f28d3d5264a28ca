import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';

export const addToReplicationSet: TaskRunner = async (ctx) => {
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: 'tables added to the replication set' };
};
