// What each task does, as the SQL and commands it runs. `plan` and `runbook`
// print these; the executor runs these same strings, rendered again with the
// facts (LSNs, snapshot) that exist only once the run has produced them.
import { dirname } from 'node:path';
import type { TaskSpec } from '../plan/graph.js';
import { isPgedgeNode, sqlAsWritten, type ResolvedPlan } from '../plan/plan.js';
import type { Facts } from '../facts.js';
import { parseConninfo, redactConninfo } from '../plan/conninfo.js';
import { renderSql } from './templates.js';
import { quoteLiteral, quoteQualified } from './quote.js';
import { planTableName } from '../plan/table-name.js';
import { dumpCommand, restoreCommand, vacuumCommand, hookCommand, type Command } from './commands.js';
import { describeStreamTask } from './describe-stream.js';
import { databaseSettingsSql } from './database-settings.js';
import { SPOCK_LOCAL_DDL_SETTINGS, spockLocalDdlSql } from './spock-local-ddl.js';
import { describeFallbackTask } from './describe-fallback.js';
import { describeGuardTask } from './ddl-guard.js';
import { describeDdlTask } from './describe-ddl.js';

/** Where SQL runs: 'source' or a node's name. */
export type Where = string;

/**
 * SQL whose result is more SQL, for values known only at run time (a
 * sequence's value, the tables to count): the statements it prints run on a
 * node in one transaction, or the query it prints runs on each place and the
 * results are compared.
 */
export type SqlOutput = { kind: 'statements'; on: Where } | { kind: 'query'; on: Where[] };

export type Step =
  | { type: 'sql'; on: Where; sql: string; note?: string; output?: SqlOutput }
  | { type: 'replication'; on: 'source'; command: string; note?: string }
  | { type: 'command'; command: Command; note?: string }
  | { type: 'wait'; text: string; on?: Where; sql?: string };

export interface TaskDescription {
  steps: Step[];
  /** What to look at afterwards to know the step worked. */
  check?: { text: string; on?: Where; sql?: string };
}

export interface DescribeContext {
  plan: ResolvedPlan;
  dumpDir: string;
  facts: Facts;
  /** Reveal secrets (the subscription's CONNECTION) for execution; never for printing. */
  reveal: boolean;
  /**
   * The running process: the anchor's temporary slot is named after it, so
   * that one the server has not yet dropped after a killed run cannot collide.
   */
  runId?: number;
  /** The run's identity, written on what it creates; a placeholder when printing. */
  runMark?: object;
}

/**
 * The comment that marks an object as this run's, in the same statement
 * batch as its CREATE (one implicit transaction): never one without the other.
 */
function markStatement(kind: 'PUBLICATION' | 'SUBSCRIPTION', name: string, ctx: DescribeContext): string {
  const mark = ctx.runMark ?? { tool: 'pgedge-migrate', plan: ctx.plan.name, run: '<run id>', host: '<this host>', state_dir: '<state directory>', started_at: '<first apply>' };
  return renderSql('mark-run.sql.hbs', { kind, name, mark: JSON.stringify(mark) });
}

export function anchorSlotName(plan: ResolvedPlan, runId?: number): string {
  const base = `${plan.name.replace(/-/g, '_')}_anchor`.slice(0, 50);
  return runId === undefined ? base : `${base}_${runId}`;
}

/** Placeholder shown where a value exists only during a run. */
function fact(value: string | undefined, what: string): string {
  return value ?? `<${what}>`;
}

export function sourceDatabase(ctx: DescribeContext): string {
  return ctx.facts.source_database ?? parseConninfo(ctx.plan.source.dsn).dbname ?? '<source database>';
}

/** The CONNECTION a node's subscription uses to reach the source. */
export function subscriptionConnection(plan: ResolvedPlan, node: string, reveal: boolean): string {
  const n = plan.nodes.find((x) => x.name === node)!;
  const dsn = n.source_dsn ?? plan.source.subscriber_dsn ?? plan.source.dsn;
  return reveal ? dsn : redactConninfo(dsn);
}

export function replicatedSchemas(plan: ResolvedPlan): string[] {
  if (plan.publish.schemas) return plan.publish.schemas;
  if (plan.publish.tables) return [...new Set(plan.publish.tables.map((t) => planTableName(t).schema))];
  return ['public'];
}

export function describeTask(spec: TaskSpec, ctx: DescribeContext): TaskDescription {
  const { plan, facts } = ctx;
  const r = spec.replication;
  const node = spec.node;
  const lsn = fact(facts.anchor?.consistent_point, 'consistent_point');
  switch (spec.kind) {
    case 'create-publication':
      return {
        steps: [{ type: 'sql', on: 'source', sql: `${renderSql('create-publication.sql.hbs', { publication: r!.publication, publish: plan.publish })}\n${markStatement('PUBLICATION', r!.publication, ctx)}` }],
        check: { text: 'The publication exists.', on: 'source', sql: `SELECT pubname, puballtables FROM pg_publication WHERE pubname = ${quoteLiteral(r!.publication)};` },
      };
    case 'create-slot':
      return {
        steps: [{ type: 'sql', on: 'source', sql: renderSql('create-slot.sql.hbs', { slot: r!.slot }), note: 'Waits for open write transactions on the source to end.' }],
        check: { text: 'The slot exists, inactive for now, and holds WAL from here on: do not leave it behind if you stop.', on: 'source', sql: `SELECT slot_name, plugin, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS wal_held\n  FROM pg_replication_slots\n WHERE slot_name = ${quoteLiteral(r!.slot)};` },
      };
    case 'export-snapshot':
      return {
        steps: [
          {
            type: 'replication',
            on: 'source',
            command: renderSql('export-snapshot.repl.hbs', { anchor: anchorSlotName(plan, ctx.runId) }).trim(),
            note: 'On a replication connection (psql "dbname=... replication=database"). Keep this session open and idle until the dump has finished: any further command on it ends the exported snapshot. Its consistent_point and snapshot_name are `<consistent_point>` and `<snapshot_name>` in the steps below.',
          },
        ],
        check: { text: 'The command returned consistent_point and snapshot_name; the temporary slot is listed in pg_replication_slots while the session is open.' },
      };
    case 'dump':
      return {
        steps: [
          { type: 'command', command: { program: 'mkdir', argv: ['-p', '-m', '0700', dirname(ctx.dumpDir)], env: {} }, note: 'The dump is a complete copy of the data: pg_dump creates its directory mode 0700, inside a parent only you may enter.' },
          { type: 'command', command: dumpCommand(plan, ctx.dumpDir, fact(facts.anchor?.snapshot, 'snapshot_name')) },
        ],
        check: { text: `pg_dump exited 0 and ${ctx.dumpDir}/toc.dat exists. Then close the anchor session.` },
      };
    case 'restore':
      if (isPgedgeNode(plan, node!)) return describePgedgeRestore(plan, node!, ctx.dumpDir);
      return {
        steps: [{ type: 'command', command: restoreCommand(plan, node!, ctx.dumpDir), note: 'All nodes may restore at once.' }],
        check: { text: 'pg_restore exited 0; the node has the source\'s tables.', on: node, sql: "SELECT count(*) AS tables FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema');" },
      };
    case 'dump-schema':
    case 'restore-pre-data':
    case 'copy-tables':
    case 'restore-post-data':
      return describeStreamTask(spec, ctx);
    case 'copy-database-settings': {
      const carried = facts.database_settings?.[node!];
      const database = carried?.database ?? parseConninfo(plan.nodes.find((x) => x.name === node)!.dsn).dbname ?? '<node database>';
      const check = { text: `A new session of ${node}'s database shows the settings (SHOW search_path).`, on: node, sql: 'SELECT r.rolname AS role, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database());' };
      if (!carried) {
        // Before the run: a query that prints the statements, so the runbook can be followed as it stands.
        const user = parseConninfo(plan.nodes.find((x) => x.name === node)!.dsn).user ?? null;
        return {
          steps: [{ type: 'sql', on: 'source', sql: renderSql('database-settings-statements.sql.hbs', { node, database, user }), output: { kind: 'statements', on: node! }, note: 'Settings of a role the node does not have fail there: create the role first, or leave that statement out.' }],
          check,
        };
      }
      return {
        steps: [
          { type: 'sql', on: 'source', sql: renderSql('read-database-settings.sql.hbs', {}) },
          {
            type: 'sql',
            on: node!,
            sql: databaseSettingsSql(database, carried?.settings),
            note: 'Skipped: default_transaction_read_only and transaction_read_only for the database or the role the tool connects as (the restore and the stream need writes), and settings of roles the node does not have (each is named in the report).',
          },
        ],
        check,
      };
    }
    case 'create-subscription':
      return withOriginIdCheck(plan, node!, r!.subscription, {
        steps: [
          {
            type: 'sql',
            on: node!,
            sql: `${renderSql('create-subscription.sql.hbs', { subscription: r!.subscription, publication: r!.publication, slot: r!.slot, connection: subscriptionConnection(plan, node!, ctx.reveal) })}\n${markStatement('SUBSCRIPTION', r!.subscription, ctx)}`,
          },
          {
            type: 'sql',
            on: node!,
            sql: renderSql('advance-origin.sql.hbs', { subscription: r!.subscription, lsn }),
            note: "The stream then starts exactly at the anchor: what the dump holds is not applied twice, and nothing after it is missed.",
          },
        ],
        check: {
          text: `The subscription's origin stands at the anchor (remote_lsn \`${lsn}\`).`,
          on: node,
          sql: `SELECT s.subname, o.external_id, o.remote_lsn\n  FROM pg_subscription s\n  JOIN pg_replication_origin_status o ON o.external_id = 'pg_' || s.oid\n WHERE s.subname = ${quoteLiteral(r!.subscription)};`,
        },
      });
    case 'add-to-replication-set': {
      const n = plan.nodes.find((x) => x.name === node)!;
      return {
        steps: [
          {
            type: 'sql',
            on: node!,
            // Spock kept pglogical's model under other names.
            sql: renderSql('add-to-replication-set.sql.hbs', {
              ...(n.kind === 'pgedge' ? { schema: 'spock', add_all: 'repset_add_all_tables', add_table: 'repset_add_table' } : { schema: 'pglogical', add_all: 'replication_set_add_all_tables', add_table: 'replication_set_add_table' }),
              replication_set: n.replication_set,
              tables: plan.publish.tables?.map((t) => quoteQualified(t)) ?? null,
              schemas: plan.publish.schemas ?? null,
            }),
            note: 'Every restored table joins the node-to-node replication set, so that after the cutover writes on one node reach the others. Done before the stream from the source is enabled: while its apply worker runs, this can deadlock with it.',
          },
        ],
        check: { text: 'No restored table is outside a replication set (no rows).', on: node, sql: `SELECT nspname, relname FROM ${n.kind === 'pgedge' ? 'spock' : 'pglogical'}.tables WHERE set_name IS NULL ORDER BY 1, 2;` },
      };
    }
    case 'enable-subscription':
      return {
        steps: [{ type: 'sql', on: node!, sql: renderSql('enable-subscription.sql.hbs', { subscription: r!.subscription }) }],
        check: { text: 'An apply worker runs for the subscription (pid not null) and the log shows no errors.', on: node, sql: `SELECT subname, pid, received_lsn, latest_end_lsn FROM pg_stat_subscription WHERE subname = ${quoteLiteral(r!.subscription)};` },
      };
    case 'catch-up':
      return {
        steps: [
          { type: 'sql', on: 'source', sql: CATCH_UP_TARGET, note: 'The position to reach, `<catch_up_lsn>` below: the end of the last WAL record.' },
          {
            type: 'wait',
            text: `Repeat until every row shows lag_bytes ≤ ${plan.catch_up.max_lag_bytes}: every slot has confirmed \`<catch_up_lsn>\`. The tool gives up after ${plan.catch_up.timeout_seconds} s.`,
            on: 'source',
            sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: fact(facts.caught_up_lsn, 'catch_up_lsn') }),
          },
        ],
      };
    case 'cutover-ready':
      return {
        steps: [
          { type: 'wait', text: `Repeat until every row shows active = t and lag_bytes ≤ ${plan.cutover.max_lag_bytes}; every subscription must have an apply worker (step "Enable subscription" shows how to look). Do not freeze otherwise.`, on: 'source', sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: null }) },
          ...plan.replication.flatMap((x): Step[] => [
            { type: 'sql', on: x.node, sql: `SELECT subname, subsynccommit FROM pg_subscription WHERE subname = ${quoteLiteral(x.subscription)};`, note: 'Note subsynccommit: rolling back before the switch puts it back.' },
            { type: 'sql', on: x.node, sql: renderSql('set-apply-sync.sql.hbs', { subscription: x.subscription, value: 'on' }), note: 'The node then confirms what it applied at once, not at its WAL writer\'s next wake-up: most of the freeze otherwise.' },
          ]),
        ],
      };
    case 'freeze-writes': {
      const steps: Step[] = [];
      if (plan.cutover.freeze !== 'builtin' && plan.cutover.freeze_hook) steps.push(actionStep(plan.cutover.freeze_hook, ctx.reveal, 'Freeze hook.'));
      if (plan.cutover.freeze !== 'hook') {
        const database = sourceDatabase(ctx);
        steps.push({ type: 'sql', on: 'source-server', sql: renderSql('close-database.sql.hbs', { database }), note: 'No new session can connect to the database, superusers and replication connections included: a session could undo default_transaction_read_only (PGOPTIONS, SET, BEGIN READ WRITE). The sessions already open (this tool\'s, the subscriptions\' walsenders) stay. Opened again when the cutover ends or is called off.' });
        steps.push({ type: 'sql', on: 'source', sql: renderSql('freeze-writes.sql.hbs', { database, own_pids: [] }), note: 'Every new session of the database is read-only; every other client session of it is ended (but this tool\'s own, opened at the readiness check). Replication connections are not affected. Run it as a superuser or a role with pg_read_all_stats and pg_signal_backend: to any other role, another role\'s session shows no backend_type here, and is neither ended nor counted by the check below.' });
        steps.push({ type: 'sql', on: 'source', sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row (the readiness check refused any): a COMMIT PREPARED could still write. One found calls the cutover off.' });
      }
      return { steps, check: { text: 'No other client session of the database remains: run the step again until this shows 0 (a session told to end may still be on its way out, and may yet commit).', on: 'source', sql: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid();" } };
    }
    case 'drain':
      return {
        steps: [
          { type: 'sql', on: 'source', sql: renderSql('frozen-position.sql.hbs', {}), note: 'After the freeze: the marker\'s position, `<frozen_lsn>` below, lies after every frozen writer\'s last commit. Its synchronous commit flushes the WAL up to it at once, so the nodes receive it without waiting for the WAL writer; subscribers are sent nothing for it.' },
          { type: 'wait', text: `Repeat until every row shows lag_bytes ≤ 0: every node has applied \`<frozen_lsn>\`. The tool unfreezes and gives up after ${plan.cutover.timeout_seconds} s.`, on: 'source', sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: fact(facts.frozen_lsn, 'frozen_lsn') }) },
        ],
      };
    case 'convert-sequences':
      return {
        steps: [
          { type: 'sql', on: node!, sql: spockLocalDdlSql(), note: LOCAL_DDL_NOTE },
          { type: 'sql', on: node!, sql: renderSql('sequence-columns.sql.hbs', {}), note: 'Which sequences a column takes its values from.' },
          {
            type: 'sql',
            on: node!,
            sql: renderSql('snowflake-convert.sql.hbs', {}),
            note: `In one transaction. Before the freeze: Snowflake ids depend on no value of the source, and a 4-byte key (with the keys referencing it) is rewritten to bigint. The stream from the source keeps applying (it carries explicit keys). snowflake.node must be set on ${node} and differ from every other node's.`,
          },
        ],
        check: { text: "Every column listed above has the default snowflake.nextval('<its sequence>'::regclass).", on: node, sql: renderSql('sequences-after.sql.hbs', {}) },
      };
    case 'sync-sequences':
      if (isPgedgeNode(plan, node!)) return describePgedgeSequences(plan, node!);
      return describeSequences(plan, node!);
    case 'quick-check':
      if (plan.cutover.check === 'full') return { steps: [{ type: 'wait', text: `migrate verify for ${node} against the frozen source.` }] };
      return {
        steps: [
          {
            type: 'sql',
            on: 'source',
            sql: renderSql('count-query.sql.hbs', { publication: plan.replication.find((x) => x.node === node)!.publication }),
            output: { kind: 'query', on: ['source', node!] },
            note: `Every table's row count on ${node} must equal the frozen source's; otherwise roll back (below) and run migrate verify.`,
          },
        ],
      };
    case 'switch': {
      // The fence's last look, before the point of no return (not with freeze: hook, which closes nothing).
      const fence: Step[] = plan.cutover.freeze === 'hook' ? [] : [
        { type: 'sql', on: 'source', sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row.' },
        { type: 'sql', on: 'source', sql: renderSql('fence-intruders.sql.hbs', { own_pids: [] }), note: 'Must return no row: a session of the database besides this one may have written past the freeze. Either calls the cutover off, naming the session.' },
      ];
      return { steps: [...fence, ...(plan.cutover.switch_hook ? [actionStep(plan.cutover.switch_hook, ctx.reveal, 'Redirect the application to the nodes.')] : [{ type: 'wait', text: 'No switch_hook: redirect the application to the nodes yourself now. The source stays read-only.' } as Step])] };
    }
    case 'drop-subscription':
      // A DROP SUBSCRIPTION connects to the source to drop its slot: not while the freeze keeps the database closed.
      if (plan.cutover.freeze !== 'hook') return { steps: [{ type: 'sql', on: node!, sql: renderSql('detach-subscription.sql.hbs', { subscription: r!.subscription }), note: 'Detached first: the source database takes no new connection until the cutover ends. The slot is dropped on the source in the next step.' }] };
      return {
        steps: [{ type: 'sql', on: node!, sql: renderSql('drop-subscription.sql.hbs', { subscription: r!.subscription }), note: 'Also drops the slot on the source through the subscription\'s connection.' }],
      };
    case 'drop-slots':
      return {
        steps: plan.replication.map((x) => ({ type: 'sql', on: 'source', sql: renderSql('drop-slot.sql.hbs', { slot: x.slot }), note: plan.cutover.freeze !== 'hook' ? 'From this tool\'s own session: the subscription was detached from its slot.' : 'Normally a no-op: the slot went with its subscription.' }) as Step),
        check: { text: 'No slot of this plan is left.', on: 'source', sql: 'SELECT slot_name, active FROM pg_replication_slots;' },
      };
    case 'reopen-source':
      return { steps: [{ type: 'sql', on: 'source-server', sql: renderSql('open-database.sql.hbs', { database: sourceDatabase(ctx) }), note: 'The source stays read-only for new sessions (default_transaction_read_only).' }] };
    case 'drop-publications':
      return { steps: plan.replication.map((x) => ({ type: 'sql', on: 'source', sql: renderSql('drop-publication.sql.hbs', { publication: x.publication }) }) as Step) };
    case 'vacuum':
      return { steps: [{ type: 'command', command: vacuumCommand(plan, node!) }] };
    case 'create-fallback-slot':
    case 'create-fallback-subscription':
    case 'enable-fallback':
    case 'rollback-ready':
    case 'freeze-nodes':
    case 'rollback-drain':
    case 'rollback-sequences':
    case 'rollback-check':
    case 'rollback-switch':
    case 'unfreeze-source':
    case 'drop-fallback':
      return describeFallbackTask(spec, ctx);
    case 'install-ddl-guard':
    case 'remove-ddl-guard':
      return describeGuardTask(spec, plan);
    case 'ddl-statement':
    case 'ddl-publish':
    case 'ddl-repset':
    case 'ddl-sync':
    case 'ddl-confirm':
    case 'ddl-unsubscribe':
    case 'ddl-mark':
      return describeDdlTask(spec, ctx);
    case 'hook': {
      const h = plan.hooks[spec.hookIndex!];
      return { steps: [actionStep(h, ctx.reveal, h.continue_on_error ? 'A failure here is a warning.' : undefined)] };
    }
  }
}

const CATCH_UP_TARGET = 'SELECT pg_current_wal_insert_lsn()::text AS catch_up_lsn;';

function describeSequences(plan: ResolvedPlan, node: string): TaskDescription {
  const s = plan.cutover.sequences;
  const strategy = s.strategy ?? (plan.nodes.length > 1 ? 'interleave' : 'copy');
  const schemas = plan.publish.schemas || plan.publish.tables ? replicatedSchemas(plan) : null;
  const index = plan.nodes.findIndex((n) => n.name === node);
  // Under snowflake, as the executor does (sequenceAction): the sequences a column uses were converted before
  // the freeze, and every other one is interleaved. The restored node has the source's columns, so the same
  // query as the executor's (sequence-columns.sql.hbs) says which, on the source.
  const columns = strategy === 'snowflake' ? renderSql('sequence-columns.sql.hbs', {}).replace(/;$/, '') : null;
  const why =
    strategy === 'interleave'
      ? `Each sequence gets INCREMENT BY ${plan.nodes.length} x its increment and starts at this node's offset, past the source's value plus the gap: no two nodes hand out the same value.`
      : strategy === 'copy'
        ? 'Each sequence is set to the source\'s value plus the gap.'
        : `Each sequence no column uses (the application calls nextval('...') on it) gets INCREMENT BY ${plan.nodes.length} x its increment and starts at this node's offset, past the source's value plus the gap: Snowflake would only widen it, and every node would hand out the same values. Those a column uses were converted before the freeze.`;
  return {
    steps: [
      {
        type: 'sql',
        on: 'source',
        sql: renderSql('sequence-statements.sql.hbs', { node, strategy, gap: String(s.gap), index, count: plan.nodes.length, schemas, interleaved: strategy !== 'copy', columns }),
        output: { kind: 'statements', on: node },
        note: `${why} Each value is read from the sequence itself (last_value, is_called): pg_sequences.last_value is NULL whenever is_called is false. "permission denied" is an error, never "never used".`,
      },
    ],
    check: { text: 'The sequences have their new settings.', on: node, sql: 'SELECT schemaname, sequencename, last_value, increment_by FROM pg_sequences ORDER BY 1, 2;' },
  };
}

/** A hook's step: run hooks keep their ${VAR} references for the shell; SQL is shown as written and run expanded. */
function actionStep(a: { run?: string; sql?: string; on?: string }, reveal: boolean, note?: string): Step {
  if (a.run) return { type: 'command', command: hookCommand(a.run), note };
  return { type: 'sql', on: a.on ?? 'source', sql: reveal ? a.sql! : sqlAsWritten(a)!, note };
}

const LOCAL_DDL_NOTE = 'In the same session as what follows: Spock would otherwise send this DDL to the other nodes, which do the same themselves (these settings are on in a pgEdge cluster that replicates DDL).';

function describePgedgeRestore(plan: ResolvedPlan, node: string, dumpDir: string): TaskDescription {
  return {
    steps: [
      { type: 'sql', on: node, sql: 'SELECT clock_timestamp() AS restore_started;', note: 'Note the time: Spock must queue nothing for the other nodes from here on.' },
      {
        type: 'command',
        command: restoreCommand(plan, node, dumpDir),
        note: `All nodes may restore at once. Every connection of the restore sets ${SPOCK_LOCAL_DDL_SETTINGS.join(', ')} off (options in --dbname): each node restores the dump itself, and Spock must not carry one node's CREATEs to the others.`,
      },
    ],
    check: {
      text: "pg_restore exited 0; the node has the source's tables; Spock queued none of the restore's DDL (0).",
      on: node,
      sql: "SELECT count(*) AS tables FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'spock', 'snowflake');\nSELECT count(*) AS queued FROM spock.queue WHERE queued_at >= '<restore_started>';",
    },
  };
}

/** On a pgEdge node the subscription's origin id must be no Spock node's id: looked at before, proven after. */
function withOriginIdCheck(plan: ResolvedPlan, node: string, subscription: string, d: TaskDescription): TaskDescription {
  if (!isPgedgeNode(plan, node)) return d;
  return {
    steps: [{ type: 'sql', on: node, sql: renderSql('origin-id-before.sql.hbs', {}), note: 'Spock node ids and replication origin ids share one number space in commit timestamps. If next_origin_id equals a node_id, take that id first: SELECT pg_replication_origin_create(\'pgedge_migrate_reserved_<id>\');' }, ...d.steps],
    check: { text: `${d.check!.text} Its id is no Spock node's (spock_node_with_that_id is NULL).`, on: node, sql: `${d.check!.sql}\n${renderSql('origin-id-after.sql.hbs', { subscription }).trim()}` },
  };
}

function describePgedgeSequences(plan: ResolvedPlan, node: string): TaskDescription {
  const local: Step = { type: 'sql', on: node, sql: spockLocalDdlSql(), note: LOCAL_DDL_NOTE };
  const d = describeSequences(plan, node);
  if (plan.cutover.sequences.strategy !== 'snowflake') return { ...d, steps: [local, ...d.steps] };
  return {
    steps: [local, ...d.steps],
    check: { text: 'Every sequence a column uses feeds it through snowflake.nextval (strategy snowflake); every other one steps by the node count.', on: node, sql: renderSql('sequences-after.sql.hbs', {}) },
  };
}
