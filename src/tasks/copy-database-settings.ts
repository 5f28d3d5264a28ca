// The source database's settings onto a node's database: what a dump without
// --create leaves behind, and what queries resolving names through
// search_path need after the switch.
import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { readDatabaseSettings } from '../pg/database-settings.js';
import { hindersMigration, type DatabaseSetting } from '../render/database-settings.js';
import { databaseSettingsSql } from '../render/database-settings.js';

export const copyDatabaseSettings: TaskRunner = async (ctx) => {
  const node = ctx.spec.node!;
  const all = await readDatabaseSettings(await ctx.db('source'));
  const target = await ctx.db(node);
  const { database, user } = (await target.query<{ database: string; user: string }>('SELECT current_database() AS database, current_user AS "user"')).rows[0];
  const roles = [...new Set(all.map((s) => s.role).filter((r): r is string => r !== null))];
  const present = new Set((await target.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [roles])).rows.map((r) => r.rolname));
  const carried: DatabaseSetting[] = [];
  for (const s of all) {
    const statement = databaseSettingsSql(database, [s]).trim();
    if (hindersMigration(s, user)) ctx.warn(`not carried to ${node}, because the restore and the stream need writes there: ${statement} Run it on ${node} after the switch if the application needs it.`);
    else if (s.role !== null && !present.has(s.role)) ctx.warn(`not carried to ${node}, because role ${s.role} does not exist there: create the role, then run on ${node}: ${statement}`);
    else carried.push(s);
  }
  // Durable before anything is set, so that abort --drop-data can give the node back its own; an attempt
  // after the first finds what the first set, so the first's view of the node is kept.
  const earlier = ctx.facts.database_settings?.[node];
  const before = earlier?.before ?? (await readDatabaseSettings(target));
  const set = [...(earlier?.set ?? []), ...carried.map((s) => ({ role: s.role, name: s.name }))];
  ctx.record({ database_settings: { ...ctx.facts.database_settings, [node]: { database, settings: carried, before, set } } });
  if (!carried.length) return { summary: all.length ? `none of the source database's ${all.length} settings carried (see the warnings)` : "the source database has no settings of its own" };
  await runSqlStep(ctx, ctx.describe().steps[1]);
  const skipped = all.length - carried.length;
  return { summary: `${carried.length} setting${carried.length === 1 ? '' : 's'} carried to ${node} (${carried.map((s) => (s.role ? `${s.name} for ${s.role}` : s.name)).join(', ')})${skipped ? `; ${skipped} not (see the warnings)` : ''}` };
};
