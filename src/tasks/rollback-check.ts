import type { TaskRunner } from './context.js';
import { publishedTables, rowCounts, tableLabel } from '../pg/row-counts.js';
import { fallbackOf } from '../plan/fallback.js';
import { OperationError } from '../errors.js';

/**
 * The source against the fallback node and every multi-master node (they
 * hold the same rows). A plain node other than the fallback one streams
 * nothing to the source: its writes, if any, are not on it, and it is named.
 */
export const rollbackCheck: TaskRunner = async (ctx) => {
  const f = fallbackOf(ctx.plan)!;
  const tables = await publishedTables(await ctx.db(f.node), f.publication);
  const src = await rowCounts(await ctx.db('source'), tables);
  const compared = ctx.plan.nodes.filter((n) => n.name === f.node || n.kind !== 'postgres');
  for (const n of compared) {
    const dst = await rowCounts(await ctx.db(n.name), tables);
    const diffs = tables.map(tableLabel).filter((t) => src.get(t) !== dst.get(t)).map((t) => `${t} (source ${src.get(t)}, ${n.name} ${dst.get(t)})`);
    if (diffs.length) throw new OperationError(`row counts differ between the source and ${n.name}: ${diffs.slice(0, 5).join(', ')}${diffs.length > 5 ? ` and ${diffs.length - 5} more` : ''}`, 'The nodes will be unfrozen and keep taking writes; the source stays read-only. Run `migrate verify` to find the rows.');
  }
  for (const n of ctx.plan.nodes.filter((x) => !compared.includes(x))) ctx.warn(`${n.name} is a plain node: writes made on it did not reach the source`);
  return { summary: `${tables.length} tables, counts equal on the source and ${compared.map((n) => n.name).join(', ')}` };
};
