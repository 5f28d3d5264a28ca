import type { TaskRunner } from './context.js';
import { openDatabase } from '../pg/write-freeze.js';

/**
 * The end of the wall the freeze put up: the source database takes
 * connections again, once the migration's objects are gone from it. It stays
 * read-only (default_transaction_read_only), as after every cutover.
 */
export const reopenSource: TaskRunner = async (ctx) => {
  const freeze = ctx.facts.freeze;
  if (!freeze?.closed) return { summary: 'the source database was not closed to connections' };
  await openDatabase(await ctx.sourceServer(), freeze.database);
  ctx.record({ freeze: { ...freeze, closed: false } });
  return { summary: `${freeze.database} takes connections again; it stays read-only` };
};
