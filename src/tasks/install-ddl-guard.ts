// The DDL guard on the source (plan: ddl.guard), installed by apply once the
// dump has read the source (so neither the schema nor the event triggers go
// to the nodes), removed by cutover after the switch (and by abort).
import type { TaskRunner } from './context.js';
import { OperationError } from '../errors.js';
import { pgErrorText } from '../pg/connect.js';
import { TOOL_SCHEMA } from '../pg/ddl-log.js';
import { guardMode } from '../render/ddl-guard.js';
import { foreignToolSchema, guardPresent } from '../pg/ddl-guard.js';

export const installDdlGuard: TaskRunner = async (ctx) => {
  const mode = guardMode(ctx.plan);
  if (!mode) return { summary: 'ddl.guard is off' };
  const source = await ctx.db('source');
  const foreign = await foreignToolSchema(source);
  if (foreign) throw new OperationError(foreign, `Rename or drop that schema, or set ddl.guard: off in the plan. The guard keeps its record in ${TOOL_SCHEMA} and drops it at cutover.`);
  const step = ctx.describe().steps[0];
  if (step.type !== 'sql') throw new Error('the guard step is not SQL');
  ctx.sqlRan('source', step.sql);
  try {
    await source.query(step.sql);
  } catch (e) {
    await source.query('ROLLBACK').catch(() => undefined);
    // PostgreSQL 15 lets only a superuser create an event trigger (rds_superuser on RDS and Aurora).
    if ((e as { code?: string }).code !== '42501') throw new OperationError(ctx.redactor.redact(`${ctx.spec.id}: the source said: ${pgErrorText(e)}`));
    // Refused while replacing a guard another role installed: that one still records or refuses, so "off" would be false.
    if (await guardPresent(source)) throw new OperationError(`${ctx.spec.id}: a DDL guard is already on the source and this role may not replace it: ${pgErrorText(e)}`, `Remove it as the role that installed it (migrate runbook shows the statements under abort), or run apply as a superuser.`);
    const why = `!! THE DDL GUARD IS OFF (ddl.guard: ${mode} in the plan): the source refused its event trigger (${pgErrorText(e)}). DDL run on the source is neither ${mode === 'block' ? 'refused' : 'recorded'}; only drift detection (status, verify) will notice a schema change. Run apply as a superuser (on RDS and Aurora: a member of rds_superuser) to have it.`;
    ctx.warn(why);
    ctx.progress(why);
    ctx.record({ ddl_guard: { mode, installed: false, off_because: pgErrorText(e) } });
    return { summary: `guard NOT installed: the role may not create event triggers; apply goes on without it` };
  }
  ctx.record({ ddl_guard: { mode, installed: true, installed_at: new Date().toISOString() } });
  return { summary: mode === 'block' ? 'DDL on the source is refused from now on, except through migrate ddl' : 'DDL on the source is recorded from now on; status shows it until migrate ddl brings it to the nodes' };
};

export const removeDdlGuard: TaskRunner = async (ctx) => {
  const source = await ctx.db('source');
  const foreign = await foreignToolSchema(source);
  if (foreign) return { summary: `${foreign}: left alone` };
  const step = ctx.describe().steps[0];
  if (step.type !== 'sql') throw new Error('the guard removal step is not SQL');
  ctx.sqlRan('source', step.sql);
  try {
    await source.query(step.sql);
  } catch (e) {
    await source.query('ROLLBACK').catch(() => undefined);
    throw new OperationError(ctx.redactor.redact(`${ctx.spec.id}: the source said: ${pgErrorText(e)}`), `Remove it by hand: migrate runbook shows the statements (step ${ctx.spec.id}).`);
  }
  const f = ctx.facts.ddl_guard;
  if (f) ctx.record({ ddl_guard: { ...f, removed_at: new Date().toISOString() } });
  return { summary: `the DDL guard is gone from the source (no event trigger, no ${TOOL_SCHEMA} schema)` };
};
