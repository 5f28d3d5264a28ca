// What each step of a `migrate ddl` change runs, for --dry-run and for the
// executor alike. The statement runs as written; names the tool adds itself
// (publications, subscriptions, the new table's) are quoted here, from their
// parts, never from the statement's text.
import type { TaskSpec } from '../plan/graph.js';
import type { DescribeContext, TaskDescription, Step } from './describe.js';
import type { DdlStatement } from '../ddl/classify.js';
import { quoteIdent, quoteLiteral, quoteName } from './quote.js';
import { renderSql } from './templates.js';
import { spockLocalDdlSql } from './spock-local-ddl.js';
import { DDL_CHANGE_SETTING } from '../pg/ddl-log.js';

export function describeDdlTask(spec: TaskSpec, ctx: DescribeContext): TaskDescription {
  const step = spec.ddl!;
  const st = step.statement;
  const { plan } = ctx;
  const table = quoteName(st.relation.schema ?? '<schema>', st.relation.name);
  const sub = plan.replication.find((r) => r.node === step.target)?.subscription ?? '<subscription>';
  switch (spec.kind) {
    case 'ddl-statement':
      return { steps: [...sessionSteps(ctx, step.target, step.change), { type: 'sql', on: step.target, sql: `${st.sql};`, note: statementNote(st, step.target) }], check: effectCheck(st, step.target) };
    case 'ddl-publish':
      return {
        steps: [...new Set(plan.replication.map((r) => r.publication))].map<Step>((p) => ({
          type: 'sql',
          on: 'source',
          sql: `ALTER PUBLICATION ${quoteIdent(p)} ADD TABLE ${table};`,
          note: 'Only where the publication does not carry the table yet (pg_publication_tables): FOR ALL TABLES and FOR TABLES IN SCHEMA include it by themselves.',
        })),
      };
    case 'ddl-repset': {
      const n = plan.nodes.find((x) => x.name === step.target)!;
      const names = n.kind === 'pgedge' ? { schema: 'spock', add_all: 'repset_add_all_tables', add_table: 'repset_add_table' } : { schema: 'pglogical', add_all: 'replication_set_add_all_tables', add_table: 'replication_set_add_table' };
      return {
        steps: [{ type: 'sql', on: step.target, sql: renderSql('add-to-replication-set.sql.hbs', { ...names, replication_set: n.replication_set, tables: [table], schemas: null }), note: 'So that after the cutover writes to the new table on one node reach the others. Done before the table is in the subscription, while no apply worker touches it.' }],
        check: { text: 'The table is in a replication set.', on: step.target, sql: `SELECT set_name FROM ${names.schema}.tables WHERE nspname = ${quoteLiteral(st.relation.schema ?? '')} AND relname = ${quoteLiteral(st.relation.name)};` },
      };
    }
    case 'ddl-sync':
      return {
        steps: [
          { type: 'sql', on: step.target, sql: `ALTER SUBSCRIPTION ${quoteIdent(sub)} REFRESH PUBLICATION WITH (copy_data = true);`, note: 'PostgreSQL\'s table sync copies the rows the source already holds, then applies what changed since, exactly.' },
          { type: 'wait', on: step.target, text: `Until the table is ready ('r') in the subscription (at most catch_up.timeout_seconds, ${plan.catch_up.timeout_seconds} s).`, sql: subscriptionRelSql(sub, st) },
        ],
      };
    case 'ddl-unsubscribe':
      return { steps: [{ type: 'sql', on: step.target, sql: `ALTER SUBSCRIPTION ${quoteIdent(sub)} REFRESH PUBLICATION WITH (copy_data = false);`, note: 'The table the source dropped leaves the subscription before it is dropped here.' }] };
    case 'ddl-confirm':
      return {
        steps: [
          { type: 'sql', on: 'source', sql: 'SELECT pg_current_wal_insert_lsn()::text AS removal_lsn;', note: 'A position after the removal on the source.' },
          { type: 'wait', on: 'source', text: `Until every slot has confirmed <removal_lsn> (lag_bytes <= 0; at most catch_up.timeout_seconds, ${plan.catch_up.timeout_seconds} s): every row the source sent before the removal is applied on the nodes.`, sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((r) => r.slot), target_lsn: '<removal_lsn>' }) },
        ],
      };
    case 'ddl-mark':
      return { steps: [{ type: 'sql', on: 'source', sql: `UPDATE pgedge_migrate.ddl_log SET brought_at = now(), change = ${quoteLiteral(step.change)}\n WHERE id IN (${(step.recorded ?? []).join(', ')}) AND brought_at IS NULL;`, note: 'The guard\'s record now says these statements are on every node.' }] };
    default:
      throw new Error(`not a ddl task: ${spec.kind}`);
  }
}

/** Session settings a step's statement runs under. */
function sessionSteps(ctx: DescribeContext, target: string, change: string): Step[] {
  if (target === 'source') {
    return [{ type: 'sql', on: 'source', sql: `SET ${DDL_CHANGE_SETTING} = ${quoteLiteral(change)};`, note: 'The DDL guard (ddl.guard) lets the statements of this change through and records them as brought to the nodes.' }];
  }
  const node = ctx.plan.nodes.find((n) => n.name === target);
  if (node?.kind === 'pgedge') return [{ type: 'sql', on: target, sql: spockLocalDdlSql(), note: 'Keeps the statement on this node: Spock would otherwise run it on the other nodes, which get it from migrate ddl too.' }];
  return [];
}

function statementNote(st: DdlStatement, target: string): string {
  const skip = st.kind === 'additive' ? 'Skipped where it is already there' : 'Skipped where it is already gone';
  const why =
    st.kind === 'additive'
      ? target === 'source'
        ? 'The nodes have it already: every row the source sends from now on fits them.'
        : 'On the nodes before the source: a node must be able to take every row the source sends.'
      : target === 'source'
        ? 'On the source first: the nodes keep taking the rows it sent before.'
        : 'Every row the source sent before the removal is applied here: nothing the node still needs is removed.';
  const index = st.action === 'create-index' ? ' An invalid index left by an interrupted CREATE INDEX CONCURRENTLY is dropped and built again.' : '';
  return `${why} ${skip} (a rerun does nothing twice).${index}`;
}

function effectCheck(st: DdlStatement, on: string): TaskDescription['check'] {
  const schema = quoteLiteral(st.relation.schema ?? '<schema>');
  const rel = quoteLiteral(st.relation.name);
  const cls = `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ${rel};`;
  switch (st.action) {
    case 'add-column':
    case 'drop-column':
    case 'widen-column':
    case 'set-default':
      return {
        text: st.action === 'drop-column' ? 'The column is gone (no rows).' : 'The column is there, with its type and default.',
        on,
        sql: `SELECT a.attname, format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid) AS default\n  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace\n  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum\n WHERE n.nspname = ${schema} AND c.relname = ${rel} AND a.attname IN (${(st.columns ?? []).map(quoteLiteral).join(', ')}) AND NOT a.attisdropped;`,
      };
    case 'create-index':
      return { text: 'The index is there and valid.', on, sql: `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ${quoteLiteral(st.index!)};` };
    default:
      return { text: st.kind === 'removal' ? 'It is gone (no rows).' : 'It is there.', on, sql: cls };
  }
}

function subscriptionRelSql(sub: string, st: DdlStatement): string {
  return `SELECT sr.srsubstate\n  FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid\n  JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace\n WHERE s.subname = ${quoteLiteral(sub)} AND n.nspname = ${quoteLiteral(st.relation.schema ?? '<schema>')} AND c.relname = ${quoteLiteral(st.relation.name)};`;
}
