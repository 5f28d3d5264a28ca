// What each task does, as the SQL and commands it runs. `plan` and `runbook`
// print these; the executor runs these same strings, rendered again with the
// facts (LSNs, snapshot) that exist only once the run has produced them.
import type { TaskSpec } from '../plan/graph.js';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Facts } from '../facts.js';
import { parseConninfo, redactConninfo } from '../plan/conninfo.js';
import { renderSql } from './templates.js';
import { quoteLiteral, quoteQualified } from './quote.js';
import { dumpCommand, restoreCommand, vacuumCommand, hookCommand, type Command } from './commands.js';
import { describeFallbackTask } from './describe-fallback.js';

/** Where SQL runs: 'source' or a node's name. */
export type Where = string;

export type Step =
  | { type: 'sql'; on: Where; sql: string; note?: string }
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
  if (plan.publish.tables) return [...new Set(plan.publish.tables.map((t) => t.split('.')[0]))];
  return ['public'];
}

export function describeTask(spec: TaskSpec, ctx: DescribeContext): TaskDescription {
  const { plan, facts } = ctx;
  const r = spec.replication;
  const node = spec.node;
  const lsn = fact(facts.anchor?.consistent_point, 'anchor consistent_point');
  switch (spec.kind) {
    case 'create-publication':
      return {
        steps: [{ type: 'sql', on: 'source', sql: renderSql('create-publication.sql.hbs', { publication: r!.publication, publish: plan.publish }) }],
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
            note: 'On a replication connection (psql "dbname=... replication=database"). Keep this session open and idle until the dump has finished: any further command on it ends the exported snapshot. Note consistent_point and snapshot_name.',
          },
        ],
        check: { text: 'The command returned consistent_point and snapshot_name; the temporary slot is listed in pg_replication_slots while the session is open.' },
      };
    case 'dump':
      return {
        steps: [{ type: 'command', command: dumpCommand(plan, ctx.dumpDir, fact(facts.anchor?.snapshot, 'anchor snapshot_name')) }],
        check: { text: `pg_dump exited 0 and ${ctx.dumpDir}/toc.dat exists. Then close the anchor session.` },
      };
    case 'restore':
      return {
        steps: [{ type: 'command', command: restoreCommand(plan, node!, ctx.dumpDir), note: 'All nodes may restore at once.' }],
        check: { text: 'pg_restore exited 0; the node has the source\'s tables.', on: node, sql: "SELECT count(*) AS tables FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema');" },
      };
    case 'create-subscription':
      return {
        steps: [
          {
            type: 'sql',
            on: node!,
            sql: renderSql('create-subscription.sql.hbs', { subscription: r!.subscription, publication: r!.publication, slot: r!.slot, connection: subscriptionConnection(plan, node!, ctx.reveal) }),
          },
          {
            type: 'sql',
            on: node!,
            sql: renderSql('advance-origin.sql.hbs', { subscription: r!.subscription, lsn }),
            note: "The stream then starts exactly at the anchor: what the dump holds is not applied twice, and nothing after it is missed.",
          },
        ],
        check: { text: 'The origin stands at the anchor.', on: node, sql: `SELECT external_id, remote_lsn FROM pg_replication_origin_status WHERE external_id = '${fact(facts.origins?.[node!], "pg_' || oid || '")}';` },
      };
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
          { type: 'sql', on: 'source', sql: 'SELECT pg_current_wal_insert_lsn();', note: 'The position to reach (L): the end of the last WAL record.' },
          {
            type: 'wait',
            text: `Until every slot's confirmed_flush_lsn reaches L (lag at most ${plan.catch_up.max_lag_bytes} bytes), for up to ${plan.catch_up.timeout_seconds} s.`,
            on: 'source',
            sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: fact(facts.caught_up_lsn, 'L') }),
          },
        ],
      };
    case 'cutover-ready':
      return {
        steps: [{ type: 'wait', text: `Every subscription has a running apply worker and every slot is at most ${plan.cutover.max_lag_bytes} bytes behind.`, on: 'source', sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: null }) }],
      };
    case 'freeze-writes': {
      const steps: Step[] = [];
      if (plan.cutover.freeze !== 'builtin' && plan.cutover.freeze_hook) steps.push(actionStep(plan.cutover.freeze_hook, 'Freeze hook.'));
      if (plan.cutover.freeze !== 'hook') {
        const database = sourceDatabase(ctx);
        steps.push({ type: 'sql', on: 'source-server', sql: renderSql('close-database.sql.hbs', { database }), note: 'No new session can connect to the database, superusers and replication connections included: a session could undo default_transaction_read_only (PGOPTIONS, SET, BEGIN READ WRITE). The sessions already open (this tool\'s, the subscriptions\' walsenders) stay. Opened again when the cutover ends or is called off.' });
        steps.push({ type: 'sql', on: 'source', sql: renderSql('freeze-writes.sql.hbs', { database, own_pids: [] }), note: 'Every new session of the database is read-only; every other client session of it is ended (but this tool\'s own, opened at the readiness check). Replication connections are not affected.' });
        steps.push({ type: 'sql', on: 'source', sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row (the readiness check refused any): a COMMIT PREPARED could still write. One found calls the cutover off.' });
      }
      return { steps, check: { text: 'No other client session of the database remains.', on: 'source', sql: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid();" } };
    }
    case 'drain':
      return {
        steps: [
          { type: 'sql', on: 'source', sql: renderSql('frozen-position.sql.hbs', {}), note: 'After the freeze: the marker\'s position is F, after every frozen writer\'s last commit. Its synchronous commit flushes the WAL up to F at once, so the nodes receive it without waiting for the WAL writer; subscribers are sent nothing for it.' },
          { type: 'wait', text: `Until every slot's confirmed_flush_lsn reaches F, for up to ${plan.cutover.timeout_seconds} s.`, on: 'source', sql: renderSql('slot-lag.sql.hbs', { slots: plan.replication.map((x) => x.slot), target_lsn: fact(facts.frozen_lsn, 'F') }) },
        ],
      };
    case 'sync-sequences': {
      const s = plan.cutover.sequences;
      const strategy = s.strategy ?? (plan.nodes.length > 1 ? 'interleave' : 'copy');
      return {
        steps: [
          { type: 'sql', on: 'source', sql: 'SELECT schemaname, sequencename, last_value, increment_by FROM pg_sequences;', note: 'last_value NULL with a sequence never used is fine; NULL because the role may not read it is an error.' },
          { type: 'wait', text: `On ${node}: strategy ${strategy}, gap ${s.gap}. ${strategy === 'interleave' ? `Each sequence gets INCREMENT BY ${plan.nodes.length} x its increment and a start offset of this node's position, past the source's value plus the gap.` : strategy === 'copy' ? "setval(sequence, source last_value + gap, true)." : 'snowflake.convert_sequence_to_snowflake on every sequence.'}` },
        ],
      };
    }
    case 'quick-check':
      return { steps: [{ type: 'wait', text: plan.cutover.check === 'full' ? `migrate verify for ${node} against the frozen source.` : `Row count of every replicated table on ${node} equals the frozen source's.` }] };
    case 'switch': {
      // The fence's last look, before the point of no return (not with freeze: hook, which closes nothing).
      const fence: Step[] = plan.cutover.freeze === 'hook' ? [] : [
        { type: 'sql', on: 'source', sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row.' },
        { type: 'sql', on: 'source', sql: renderSql('fence-intruders.sql.hbs', { own_pids: [] }), note: 'Must return no row: a session of the database besides this one may have written past the freeze. Either calls the cutover off, naming the session.' },
      ];
      return { steps: [...fence, ...(plan.cutover.switch_hook ? [actionStep(plan.cutover.switch_hook, 'Redirect the application to the nodes.')] : [{ type: 'wait', text: 'No switch_hook: redirect the application to the nodes yourself now. The source stays read-only.' } as Step])] };
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
    case 'hook': {
      const h = plan.hooks[spec.hookIndex!];
      return { steps: [actionStep(h, h.continue_on_error ? 'A failure here is a warning.' : undefined)] };
    }
  }
}

function actionStep(a: { run?: string; sql?: string; on?: string }, note?: string): Step {
  if (a.run) return { type: 'command', command: hookCommand(a.run), note };
  return { type: 'sql', on: a.on ?? 'source', sql: a.sql!, note };
}
