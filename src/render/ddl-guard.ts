// The guard's SQL (plan: ddl.guard): the event triggers that record or refuse
// DDL run on the source outside `migrate ddl`, and their removal. `apply`,
// `cutover`, `abort` and the runbook all render it here.
import type { ResolvedPlan } from '../plan/plan.js';
import type { TaskSpec } from '../plan/graph.js';
import type { TaskDescription } from './describe.js';
import { DDL_CHANGE_SETTING, DDL_LOG_TABLE, TOOL_SCHEMA } from '../pg/ddl-log.js';
import { renderSql } from './templates.js';
import { quoteLiteral } from './quote.js';

export type GuardMode = 'warn' | 'block';

export const GUARD_TRIGGERS = {
  start_trigger: 'pgedge_migrate_ddl_guard_start',
  end_trigger: 'pgedge_migrate_ddl_guard_end',
  drop_trigger: 'pgedge_migrate_ddl_guard_drop',
} as const;

/** What COMMENT ON SCHEMA says of the tool's schema: a schema of that name without it is not the tool's. */
export const SCHEMA_MARK = 'pgedge-migrate: the DDL guard of a migration in progress (dropped by cutover and abort)';

/**
 * Statements that change nothing the nodes receive, passed and never
 * recorded. The tool's own DDL on the source after the guard is installed is
 * all of this kind (CREATE/ALTER/DROP PUBLICATION at cutover and abort, the
 * fallback's CREATE SUBSCRIPTION, COMMENT ON them): passing it by what it is
 * rather than by a setting in the tool's sessions holds for every session
 * the tool opens (cutover, abort, rollback, finalize) and for a DBA who runs
 * the runbook's statements by hand.
 */
export const PASSING_TAGS = ['CREATE PUBLICATION', 'ALTER PUBLICATION', 'DROP PUBLICATION', 'CREATE SUBSCRIPTION', 'ALTER SUBSCRIPTION', 'DROP SUBSCRIPTION', 'REFRESH MATERIALIZED VIEW'];
/** pg_event_trigger_ddl_commands().object_type of what a COMMENT or SECURITY LABEL on them names. */
export const PASSING_OBJECTS = ['publication', 'publication relation', 'publication namespace', 'subscription'];
/** Tags that may create a temporary object, or (COMMENT) name a publication: block decides them once the objects are known. */
export const DECIDED_LATER = ['CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW', 'CREATE SEQUENCE', 'COMMENT', 'SECURITY LABEL'];

function refusal(plan: ResolvedPlan): { refusal: string; hint: string } {
  // RAISE's format: the one % is the statement's tag.
  const name = plan.name.replace(/%/g, '%%');
  return {
    refusal: `pgedge-migrate: % refused on the source: DDL is blocked while migration ${name} streams to its nodes (ddl.guard: block); run by hand here, the nodes would not get it and their replication would stop`,
    hint: `Run it with migrate ddl PLAN -c '<statement>': it applies the change to the nodes and the source in an order that keeps replication running. (Sessions that set ${DDL_CHANGE_SETTING} pass.)`,
  };
}

export function installGuardSql(plan: ResolvedPlan, mode: GuardMode): string {
  return renderSql('install-ddl-guard.sql.hbs', {
    ...GUARD_TRIGGERS,
    ...refusal(plan),
    schema: TOOL_SCHEMA,
    table: DDL_LOG_TABLE,
    schema_mark: SCHEMA_MARK,
    setting: DDL_CHANGE_SETTING,
    block: mode === 'block',
    passing_tags: PASSING_TAGS,
    passing_objects: PASSING_OBJECTS,
    decided_later: DECIDED_LATER,
  });
}

export function removeGuardSql(): string {
  return renderSql('remove-ddl-guard.sql.hbs', { ...GUARD_TRIGGERS, schema: TOOL_SCHEMA, table: DDL_LOG_TABLE });
}

/** The plan's guard, or undefined when it is off. */
export function guardMode(plan: ResolvedPlan): GuardMode | undefined {
  const mode = plan.ddl?.guard ?? 'off';
  return mode === 'off' ? undefined : mode;
}

export function describeGuardTask(spec: TaskSpec, plan: ResolvedPlan): TaskDescription {
  const schemaGone = { text: `No event trigger of the guard and no ${TOOL_SCHEMA} schema on the source.`, on: 'source', sql: `SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'pgedge\\_migrate\\_%'\nUNION ALL SELECT nspname FROM pg_namespace WHERE nspname = ${quoteLiteral(TOOL_SCHEMA)};` };
  if (spec.kind === 'remove-ddl-guard') return { steps: [{ type: 'sql', on: 'source', sql: removeGuardSql(), note: 'From this tool\'s own session (default_transaction_read_only = off): the source is read-only now.' }], check: schemaGone };
  const mode = guardMode(plan) ?? 'warn';
  return {
    steps: [
      {
        type: 'sql',
        on: 'source',
        sql: installGuardSql(plan, mode),
        note: `After the dump, so that neither the schema nor the event triggers reach the nodes. Needs a superuser (on RDS and Aurora: a member of rds_superuser); without one apply goes on with the guard off and says so. ${mode === 'block' ? 'From now on DDL on the source is refused' : 'From now on DDL on the source is recorded in ' + TOOL_SCHEMA + '.' + DDL_LOG_TABLE}, except statements run with ${DDL_CHANGE_SETTING} set (migrate ddl) and publications, subscriptions and temporary objects.`,
      },
    ],
    check: { text: 'The guard\'s event triggers exist and are enabled.', on: 'source', sql: "SELECT evtname, evtevent, evtenabled FROM pg_event_trigger WHERE evtname LIKE 'pgedge\\_migrate\\_%';" },
  };
}
