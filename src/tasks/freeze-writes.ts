import type { TaskRunner } from './context.js';
import { databaseReadOnlySetting, freezeWrites as freeze, closeDatabase, requireFreezePrivileges } from '../pg/write-freeze.js';
import { preparedTransactions, describePrepared } from '../pg/write-fence.js';
import { runSqlStep } from './sql.js';
import { renderSql } from '../render/templates.js';
import { OperationError } from '../errors.js';

export const freezeWrites: TaskRunner = async (ctx) => {
  const { plan } = ctx;
  const source = await ctx.db('source');
  const setting = await databaseReadOnlySetting(source);
  ctx.facts.source_database = setting.database;
  const builtin = plan.cutover.freeze !== 'hook';
  // migrate check says so beforehand (source.freeze_access).
  if (builtin) await requireFreezePrivileges(source, 'the source', 'run cutover again (or freeze with your own hook: cutover.freeze: hook)');
  // Durable before it takes effect: a kill from here on still knows how to undo it.
  // The downtime runs from the first freeze of a cutover started over after a kill.
  const frozenAt = new Date().toISOString();
  ctx.record({
    source_database: setting.database,
    freeze: { database: setting.database, read_only_before: setting.value, frozen_at: frozenAt, hook: plan.cutover.freeze !== 'builtin', closed: builtin },
    downtime_since: ctx.facts.downtime_since ?? frozenAt,
    freeze_attempts: (ctx.facts.downtime_since ? (ctx.facts.freeze_attempts ?? 0) : 0) + 1,
  });
  let ended = 0;
  for (const step of ctx.describe().steps) {
    if (step.type === 'command') {
      const r = await ctx.run(step.command, 'freeze-hook', { cwd: ctx.loaded.dir });
      if (r.exitCode !== 0) throw new OperationError(`freeze_hook exited ${r.exitCode}: ${r.tail.slice(-3).join(' | ')}`);
    } else if (step.type === 'sql' && step.on === 'source-server') {
      ctx.sqlRan('source-server', step.sql);
      await closeDatabase(await ctx.sourceServer(), setting.database);
    } else if (step.type === 'sql' && step.on === 'source' && /default_transaction_read_only/.test(step.sql)) {
      // Rendered again with this tool's own sessions, which must survive the freeze.
      const sql = renderSql('freeze-writes.sql.hbs', { database: setting.database, own_pids: (await ctx.ownSourcePids()).filter(Number.isInteger) });
      ctx.sqlRan('source', sql);
      ended = await freeze(source, sql);
    } else if (step.type === 'sql' && /pg_prepared_xacts/.test(step.sql)) {
      // One prepared after the readiness check, before the database closed.
      const prepared = await preparedTransactions(source);
      if (prepared.length) throw new OperationError(describePrepared(prepared, setting.database), 'The cutover is called off and the source unfrozen; run it again once none is left.');
    } else if (step.type === 'sql') {
      await runSqlStep(ctx, step);
    }
  }
  return { summary: `writes frozen on ${setting.database}${builtin ? `; closed to new connections; ${ended} other session${ended === 1 ? '' : 's'} ended` : ''}` };
};
