// A new table joins what carries rows to the nodes: the publications that
// list their tables (FOR ALL TABLES and FOR TABLES IN SCHEMA take it by
// themselves), and on pgEdge and pglogical nodes the replication set, so that
// after the cutover writes to it reach the other nodes.
import type { TaskRunner } from './context.js';
import { runSqlStep } from './sql.js';
import { quoteName } from '../render/quote.js';

export const ddlPublish: TaskRunner = async (ctx) => {
  const st = ctx.spec.ddl!.statement;
  const source = await ctx.db('source');
  const steps = ctx.describe().steps;
  const publications = [...new Set(ctx.plan.replication.map((r) => r.publication))];
  const added: string[] = [];
  for (const [i, pub] of publications.entries()) {
    const carried = await source.query('SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3', [pub, st.relation.schema, st.relation.name]);
    if (carried.rowCount) continue;
    await runSqlStep(ctx, steps[i]);
    added.push(pub);
  }
  if (added.length && ctx.plan.publish.tables) {
    ctx.warn(`add ${st.relation.schema}.${st.relation.name} to publish.tables in the plan: the publications carry it now, and a later apply of this plan would leave it out`);
  }
  const table = quoteName(st.relation.schema!, st.relation.name);
  return { summary: added.length ? `${table} added to ${added.join(', ')}` : `every publication carries ${table} already` };
};

export const ddlReplicationSet: TaskRunner = async (ctx) => {
  const { statement: st, target } = ctx.spec.ddl!;
  const node = ctx.plan.nodes.find((n) => n.name === target)!;
  const client = await ctx.db(target);
  const schema = node.kind === 'pgedge' ? 'spock' : 'pglogical';
  // The extension's own view: a table outside every set has set_name NULL.
  const inSet = await client.query(`SELECT 1 FROM ${schema}.tables WHERE nspname = $1 AND relname = $2 AND set_name IS NOT NULL`, [st.relation.schema, st.relation.name]);
  if (inSet.rowCount) return { summary: `already in a replication set on ${target}` };
  await runSqlStep(ctx, ctx.describe().steps[0]);
  return { summary: `added to replication set ${node.replication_set} on ${target}` };
};
