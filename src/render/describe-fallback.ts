// What the fallback, rollback and finalize tasks do, as the SQL they run
// (printed by plan and runbook, run by the executor with the facts filled in).
import type { TaskSpec } from '../plan/graph.js';
import { fallbackOf } from '../plan/fallback.js';
import type { DescribeContext, TaskDescription, Step } from './describe.js';
import { sourceDatabase, replicatedSchemas } from './describe.js';
import { renderSql } from './templates.js';
import { quoteLiteral } from './quote.js';
import { redactConninfo, parseConninfo } from '../plan/conninfo.js';
import { hookCommand } from './commands.js';

function factOr(value: string | undefined, what: string): string {
  return value ?? `<${what}>`;
}

export function describeFallbackTask(spec: TaskSpec, ctx: DescribeContext): TaskDescription {
  const { plan, facts } = ctx;
  const f = fallbackOf(plan) ?? { node: '<fallback node>', publication: '<publication>', slot: '<slot>', subscription: '<subscription>', warnAfterHours: 24 };
  const node = f.node;
  const writable: Step = { type: 'sql', on: 'source', sql: renderSql('writable-session.sql.hbs', {}), note: 'This session only: the source database stays read-only for every other one.' };
  const slotWait = (target: string): string => `SELECT slot_name, confirmed_flush_lsn, pg_wal_lsn_diff(${quoteLiteral(target)}::pg_lsn, confirmed_flush_lsn) AS behind\n  FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(f.slot)};`;
  switch (spec.kind) {
    case 'create-fallback-slot':
      return {
        steps: [
          { type: 'sql', on: node, sql: renderSql('create-fallback-publication.sql.hbs', { publication: f.publication, publish: plan.publish, found: facts.fallback_tables ?? null }), note: 'The tables the forward publication publishes, as listed on the source (FOR ALL TABLES on the node would take in tables the source lacks, pglogical\'s or Spock\'s own among them, and CREATE SUBSCRIPTION on the source would refuse). On a multi-master target this node also publishes the rows the other nodes send it (pgoutput on 15 sends changes whatever their origin).' },
          { type: 'sql', on: node, sql: renderSql('create-fallback-slot.sql.hbs', { slot: f.slot }), note: 'After the drain, before the switch: the node holds exactly the frozen source and no application write yet. Note fallback_consistent_point.' },
        ],
        check: { text: 'The slot exists and holds WAL from here on, until rollback or finalize drops it.', on: node, sql: `SELECT slot_name, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(f.slot)};` },
      };
    case 'create-fallback-subscription': {
      const n = plan.nodes.find((x) => x.name === node);
      const connection = n ? (ctx.reveal ? n.dsn : redactConninfo(n.dsn)) : '<node dsn>';
      const lsn = factOr(facts.fallback?.consistent_point, 'fallback_consistent_point');
      return {
        steps: [
          { type: 'sql', on: 'source', sql: renderSql('create-fallback-subscription.sql.hbs', { subscription: f.subscription, publication: f.publication, slot: f.slot, connection }), note: 'From this tool\'s own session, opened before the freeze (it is not read-only). Disabled: enabled only once the forward subscriptions are gone, so nothing loops back to the nodes.' },
          { type: 'sql', on: 'source', sql: renderSql('advance-origin.sql.hbs', { subscription: f.subscription, lsn }), note: 'The reverse stream starts exactly at the slot\'s point: nothing the source already has is applied twice.' },
        ],
      };
    }
    case 'enable-fallback':
      return {
        steps: [{ type: 'sql', on: 'source', sql: renderSql('enable-subscription.sql.hbs', { subscription: f.subscription }), note: 'Its apply worker writes although the database is read-only (default_transaction_read_only does not apply to it); it starts once the database takes connections again (reopen).' }],
        check: { text: 'An apply worker runs for the subscription (pid not null).', on: 'source', sql: `SELECT subname, pid, latest_end_lsn FROM pg_stat_subscription WHERE subname = ${quoteLiteral(f.subscription)};` },
      };
    case 'rollback-ready':
      return {
        steps: [
          { type: 'wait', text: 'Repeat until every row shows pid not null: the fallback subscription\'s apply worker runs.', on: 'source', sql: `SELECT subname, pid, latest_end_lsn FROM pg_stat_subscription WHERE subname = ${quoteLiteral(f.subscription)};` },
          { type: 'wait', text: `Repeat until every row shows active = t: its walsender is connected to ${node}; once ${node} is closed to connections, it could not connect again.`, on: node, sql: `SELECT slot_name, active FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(f.slot)};` },
          ...plan.nodes.map((n): Step => ({ type: 'sql', on: n.name, sql: renderSql('prepared-transactions.sql.hbs', {}), note: `Must return no row on ${n.name}: a COMMIT PREPARED after the freeze would write there behind the source's back. End each first (COMMIT PREPARED or ROLLBACK PREPARED, as whoever prepared it decides).` })),
        ],
      };
    case 'freeze-nodes':
      return {
        steps: plan.nodes.flatMap((n): Step[] => {
          const database = parseConninfo(n.dsn).dbname ?? '<node database>';
          return [
            { type: 'sql', on: `server:${n.name}`, sql: renderSql('close-database.sql.hbs', { database }), note: `No new session can connect to ${n.name}'s database, superusers included: a session could undo default_transaction_read_only (PGOPTIONS, SET, BEGIN READ WRITE). The sessions already open stay: yours on ${n.name} (keep it open until the rollback ends), the walsenders (the fallback stream's) and Spock's or pglogical's workers.` },
            { type: 'sql', on: n.name, sql: renderSql('freeze-writes.sql.hbs', { database, own_pids: [] }), note: `From the session on ${n.name} you keep: every new session would be read-only; every other client session is ended (walsenders and Spock's or pglogical's workers are not client sessions: the streams keep running).` },
            { type: 'sql', on: n.name, sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row: one prepared since the readiness check calls the rollback off (open the node again: the undo below).' },
          ];
        }),
        check: { text: 'No other client session of the database remains on any node: run the step again until this shows 0 (a session told to end may still be on its way out, and may yet commit).', on: 'every node', sql: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid();" },
      };
    case 'rollback-drain': {
      const target = factOr(facts.rollback_lsn, 'frozen_lsn');
      return {
        steps: [
          { type: 'sql', on: node, sql: renderSql('frozen-position.sql.hbs', {}), note: `On ${node}, in the session you kept, after the freeze: the marker's position, \`<frozen_lsn>\` below, lies after every write made on ${node}${plan.nodes.some((n) => n.kind !== 'postgres') ? ' (on a multi-master target, wait first until each other node\'s own marker has reached its peers: its slots\' confirmed_flush_lsn)' : ''}.` },
          { type: 'wait', text: `Repeat until every row shows behind ≤ 0: the source has applied everything ${node} wrote. The tool calls the rollback off after ${plan.rollback?.timeout_seconds ?? 60} s, or at once if the slot's walsender is gone (active = f): it cannot connect again while ${node} is closed.`, on: node, sql: slotWait(target) },
        ],
      };
    }
    case 'rollback-sequences':
      return {
        steps: [
          ...plan.nodes.map((n): Step => ({ type: 'sql', on: n.name, sql: renderSql('rollback-sequence-statements.sql.hbs', { schemas: plan.publish.schemas || plan.publish.tables ? replicatedSchemas(plan) : null }), output: { kind: 'statements', on: 'source' }, note: `Run ${n.name}'s statements on the source too: in any order, each sequence ends past every value any node handed out (a sequence no node used is left as it is).${plan.cutover.sequences.strategy === 'snowflake' ? ' Snowflake ids do not come from the sequence\'s value: the tool also sets each sequence past the highest value of the columns it feeds (setval(sequence, max(column)) on the source).' : ''}` })),
        ],
      };
    case 'rollback-check': {
      const compared = plan.nodes.filter((n) => n.name === node || n.kind !== 'postgres').map((n) => n.name);
      return {
        steps: [{ type: 'sql', on: node, sql: renderSql('count-query.sql.hbs', { publication: f.publication }), output: { kind: 'query', on: ['source', ...compared] }, note: `Every table's row count on the source must equal ${compared.join(' and ')}'s; otherwise open the nodes again (Rolling back, below) and run migrate verify.` }],
      };
    }
    case 'rollback-switch': {
      // The fence's last look on every node, before the way back's point of no return.
      const fence = plan.nodes.flatMap((n): Step[] => [
        { type: 'sql', on: n.name, sql: renderSql('prepared-transactions.sql.hbs', {}), note: 'Must return no row.' },
        { type: 'sql', on: n.name, sql: renderSql('fence-node-intruders.sql.hbs', { own_pids: [] }), note: `Must return no row: a session of ${n.name}'s database besides yours may have written past the freeze (Spock's and pglogical's workers are not counted). Either calls the rollback off.` },
      ]);
      const h = plan.rollback?.switch_hook;
      if (!h) return { steps: [...fence, { type: 'wait', text: 'No rollback.switch_hook: point the application back at the source yourself now.' }] };
      return { steps: [...fence, h.run ? { type: 'command', command: hookCommand(h.run), note: 'Redirect the application to the source.' } : { type: 'sql', on: h.on ?? 'source', sql: h.sql!, note: 'Redirect the application to the source.' }] };
    }
    case 'unfreeze-source':
      return {
        steps: [
          { type: 'sql', on: 'source', sql: renderSql('unfreeze-writes.sql.hbs', { database: sourceDatabase(ctx) }) },
          { type: 'sql', on: 'source', sql: renderSql('end-client-sessions.sql.hbs', {}), note: 'Sessions opened while the database was read-only stay read-only: ended, so that pools reconnect writable.' },
        ],
      };
    case 'drop-fallback':
      return {
        steps: [
          writable,
          { type: 'sql', on: 'source', sql: renderSql('drop-fallback-subscription.sql.hbs', { subscription: f.subscription }), note: 'Detached from its slot first, so the drop needs no connection to the node.' },
          { type: 'sql', on: node, sql: renderSql('drop-fallback-node.sql.hbs', { slot: f.slot, publication: f.publication }) },
        ],
        check: { text: 'Nothing of the fallback stream is left.', on: node, sql: `SELECT slot_name FROM pg_replication_slots WHERE slot_name = ${quoteLiteral(f.slot)};` },
      };
    default:
      throw new Error(`not a fallback task: ${spec.kind}`);
  }
}
