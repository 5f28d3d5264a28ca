// One statement of a `migrate ddl` change on one database. Its effect is read
// from the catalog first: a kill between the DDL and its journal entry, or a
// change already on some targets, is finished, not repeated.
import type { TaskRunner, TaskContext } from './context.js';
import { runSqlStep } from './sql.js';
import { readEffect } from '../pg/ddl-catalog.js';
import { DDL_CHANGE_SETTING } from '../pg/ddl-log.js';
import { OperationError } from '../errors.js';
import { quoteName } from '../render/quote.js';
import type { Step } from '../render/describe.js';

/** Waits at most this long for a lock, then tries again: a DDL queued behind a long transaction blocks every query behind it. */
const LOCK_TIMEOUT = '5s';
const LOCK_ATTEMPTS = 6;

export const ddlStatement: TaskRunner = async (ctx) => {
  const { statement: st, target } = ctx.spec.ddl!;
  const where = target === 'source' ? 'the source' : target;
  const client = await ctx.db(target);
  const before = await readEffect(client, st);
  const wanted = st.kind === 'additive' ? 'present' : 'absent';
  if (before === 'partial') {
    throw new OperationError(`${ctx.spec.id}: statement ${st.n} is only partly there on ${where} (some of ${st.columns!.join(', ')}): it was changed by hand`, 'Bring that table on that database to the state before or after the statement by hand, then run the same command again.');
  }
  if (before === wanted) return { summary: `already ${st.kind === 'additive' ? 'there' : 'gone'} on ${where}: not run again` };
  if (target === 'source') await client.query('SELECT set_config($1, $2, false)', [DDL_CHANGE_SETTING, ctx.spec.ddl!.change]);
  await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
  const steps = ctx.describe().steps.filter((s): s is Extract<Step, { type: 'sql' }> => s.type === 'sql');
  // The session steps (Spock's local DDL) first, then the statement itself; the guard's setting is set above, as a parameter.
  for (const s of steps.slice(0, -1)) if (target !== 'source') await runSqlStep(ctx, s);
  await runWithLockRetries(ctx, steps[steps.length - 1], where, () => dropInvalidIndex(ctx));
  testKillPoint(ctx.spec.id);
  // A default set again leaves no trace to tell by: it is simply run again.
  if (st.action !== 'set-default' && (await readEffect(client, st)) !== wanted) {
    throw new OperationError(`${ctx.spec.id}: statement ${st.n} ran on ${where}, but the catalog does not show its effect on ${quoteName(st.relation.schema!, st.relation.name)} there`, 'Its search_path may differ from the source\'s: name the schema in the statement, and check that database by hand.');
  }
  return { summary: `statement ${st.n} applied on ${where}` };
};

/** What a killed (or timed out) CREATE INDEX CONCURRENTLY leaves: unusable, and in the way of the new one. */
async function dropInvalidIndex(ctx: TaskContext): Promise<void> {
  const { statement: st, target } = ctx.spec.ddl!;
  const client = await ctx.db(target);
  if (st.action !== 'create-index' || (await readEffect(client, st)) !== 'invalid-index') return;
  const drop = `DROP INDEX ${st.concurrent ? 'CONCURRENTLY ' : ''}IF EXISTS ${quoteName(st.relation.schema!, st.index!)}`;
  ctx.sqlRan(target, drop);
  await client.query(drop);
  ctx.progress(`dropped the invalid index ${st.index} an interrupted CREATE INDEX left on ${target === 'source' ? 'the source' : target}`);
}

async function runWithLockRetries(ctx: TaskContext, step: Extract<Step, { type: 'sql' }>, where: string, prepare: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await prepare();
    try {
      await runSqlStep(ctx, step);
      return;
    } catch (e) {
      if (!/lock timeout/i.test((e as Error).message) || attempt >= LOCK_ATTEMPTS) throw e;
      ctx.progress(`waited ${LOCK_TIMEOUT} for a lock on ${where} (attempt ${attempt} of ${LOCK_ATTEMPTS}): a transaction holds the table; trying again`);
      await ctx.sleep(1000);
    }
  }
}

/** Tests only: the point between a step's DDL and its journal entry, where a kill must not make a rerun apply anything twice. */
function testKillPoint(id: string): void {
  if (process.env.PGEDGE_MIGRATE_TEST_KILL_AFTER === id) process.kill(process.pid, 'SIGKILL');
}
