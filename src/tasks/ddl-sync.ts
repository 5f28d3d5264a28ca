// The subscriptions follow the publications: a new table is copied by
// PostgreSQL's own table sync (the rows the source holds, then what changed
// since, exactly), a dropped one leaves the subscription before its drop.
import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { OperationError } from '../errors.js';
import { quoteName } from '../render/quote.js';

const STATE_SQL = `SELECT sr.srsubstate AS state
  FROM pg_catalog.pg_subscription_rel sr JOIN pg_catalog.pg_subscription s ON s.oid = sr.srsubid
  JOIN pg_catalog.pg_class c ON c.oid = sr.srrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE s.subname = $1 AND n.nspname = $2 AND c.relname = $3`;

const STATES: Record<string, string> = { i: 'initializing', d: 'copying', f: 'copied, catching up', s: 'synchronized', r: 'ready' };

export const ddlSync: TaskRunner = async (ctx) => {
  const { statement: st, target } = ctx.spec.ddl!;
  const sub = ctx.plan.replication.find((r) => r.node === target)!.subscription;
  const client = await ctx.db(target);
  const table = quoteName(st.relation.schema!, st.relation.name);
  const read = async () => (await client.query<{ state: string }>(STATE_SQL, [sub, st.relation.schema, st.relation.name])).rows[0]?.state;
  const [refresh] = ctx.describe().steps;
  if (!(await read())) await runSqlStep(ctx, refresh);
  const started = Date.now();
  const deadline = started + ctx.plan.catch_up.timeout_seconds * 1000;
  for (;;) {
    const state = await read();
    if (state === 'r') return { summary: `${table} copied and ready on ${target} in ${((Date.now() - started) / 1000).toFixed(1)} s` };
    if (!state && Date.now() - started > 10_000) {
      throw new OperationError(`${table} did not join subscription ${sub} on ${target}: its publication does not carry it`, 'Check the publication on the source (pg_publication_tables), then run the same command again.');
    }
    if (Date.now() > deadline) {
      throw new OperationError(
        `${table} was not ready in subscription ${sub} on ${target} after ${ctx.plan.catch_up.timeout_seconds} s (state: ${state ? STATES[state] ?? state : 'not in it'})`,
        'The table sync may lack a free replication slot or WAL sender on the source, or a sync worker on the node (max_sync_workers_per_subscription): see the node\'s server log. The copy goes on by itself; run the same command again to wait once more.',
      );
    }
    ctx.progress(`${table} on ${target}: ${state ? STATES[state] ?? state : 'joining the subscription'}`);
    await ctx.sleep(300);
    if (ctx.signal.aborted) throw new OperationError('stopped while waiting for the table sync');
  }
};

export const ddlUnsubscribe: TaskRunner = async (ctx) => {
  const { statement: st, target } = ctx.spec.ddl!;
  const sub = ctx.plan.replication.find((r) => r.node === target)!.subscription;
  const client = await ctx.db(target);
  const inIt = await client.query(STATE_SQL, [sub, st.relation.schema, st.relation.name]);
  if (!inIt.rowCount) return { summary: `subscription ${sub} on ${target} does not hold the table: nothing to refresh` };
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `subscription ${sub} on ${target} refreshed: the table left it` };
};
