import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { publicationOwner, requireOwn } from '../pg/run-marks.js';

export const createSlot: TaskRunner = async (ctx) => {
  const r = ctx.spec.replication!;
  const source = await ctx.db('source');
  const found = await source.query<{ plugin: string; database: string; slot_type: string; current: string }>(
    'SELECT plugin, database, slot_type, current_database() AS current FROM pg_replication_slots WHERE slot_name = $1',
    [r.slot],
  );
  if (found.rows.length) {
    const s = found.rows[0];
    if (s.slot_type !== 'logical' || s.plugin !== 'pgoutput' || s.database !== s.current) {
      throw new OperationError(`a slot named ${r.slot} exists on the source but is not a pgoutput slot of this database (${s.slot_type}, ${s.plugin}, ${s.database})`, 'Choose another slot name in the plan, or drop that slot if it is a leftover.');
    }
    // A slot carries no mark: it is the run's whose publication it streams.
    requireOwn(`slot ${r.slot} on the source (with its publication ${r.publication})`, await publicationOwner(source, r.publication, ctx.identity, ctx.stateDir), '`migrate apply`');
    return { summary: `slot ${r.slot} already exists` };
  }
  // Creating a logical slot waits for every transaction that holds an xid to end.
  await source.query(`SET statement_timeout = ${ctx.plan.source.lock_timeout_seconds * 1000}`);
  try {
    await runSqlStep(ctx, ctx.describe().steps[0]);
  } catch (e) {
    if (/statement timeout/.test((e as Error).message)) {
      const blockers = await (await ctx.db('source')).query<{ pid: number; usename: string; xact_start: Date; state: string; query: string }>(
        `SELECT pid, usename, xact_start, state, left(query, 80) AS query FROM pg_stat_activity
          WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 5`,
      );
      const names = blockers.rows.map((b) => `pid ${b.pid} (${b.usename}, ${b.state} since ${b.xact_start.toISOString()}: ${b.query})`).join('; ');
      throw new OperationError(`creating slot ${r.slot} waited ${ctx.plan.source.lock_timeout_seconds} s for open write transactions to end${names ? `: ${names}` : ''}`, 'End or wait out those transactions, or raise source.lock_timeout_seconds, then run apply again.');
    }
    throw e;
  } finally {
    await source.query('RESET statement_timeout').catch(() => undefined);
  }
  return { summary: `created slot ${r.slot}` };
};
