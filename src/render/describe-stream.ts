// What the tasks of copy.method stream do, for `plan`, `runbook` and the run.
import type { TaskSpec } from '../plan/graph.js';
import type { DescribeContext, TaskDescription } from './describe.js';
import { copiesLargeObjects, schemaDumpCommand, sectionRestoreCommand, snapshotTransaction } from './copy-sql.js';
import { isPgedgeNode } from '../plan/plan.js';

const RESTORE_STARTED = { type: 'sql', sql: 'SELECT clock_timestamp() AS restore_started;', note: 'Note the time: Spock must queue nothing for the other nodes from here on (the pre-data restore, the COPY sessions and the post-data restore all keep their DDL local).' } as const;
const NOTHING_QUEUED = "SELECT count(*) AS queued FROM spock.queue WHERE queued_at >= '<restore_started>';";

export function describeStreamTask(spec: TaskSpec, ctx: DescribeContext): TaskDescription {
  const { plan, facts } = ctx;
  const snapshot = facts.anchor?.snapshot ?? '<anchor snapshot_name>';
  const node = spec.node!;
  const pgedge = isPgedgeNode(plan, node);
  const nodes = plan.nodes.map((n) => n.name).join(', ');
  switch (spec.kind) {
    case 'dump-schema':
      return {
        steps: [{ type: 'command', command: schemaDumpCommand(plan, ctx.dumpDir, snapshot), note: 'The schema only: the data is copied table by table below, never written to this disk. Keep the anchor session open.' }],
        check: { text: `pg_dump exited 0 and ${ctx.dumpDir}/toc.dat exists.` },
      };
    case 'restore-pre-data':
      return {
        steps: [...(pgedge ? [{ ...RESTORE_STARTED, on: node }] : []), { type: 'command', command: sectionRestoreCommand(plan, node, ctx.dumpDir, 'pre-data'), note: 'Tables, types, functions and sequences, without indexes, constraints or triggers; all nodes at once.' }],
        check: { text: 'pg_restore exited 0; the node has the source\'s tables, empty.', on: node, sql: "SELECT count(*) AS tables FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema');" },
      };
    case 'copy-tables': {
      const ranged = plan.copy.split_above_mb > 0 && plan.copy.jobs > 1;
      const binary = plan.copy.binary ? ' (FORMAT binary)' : '';
      return {
        steps: [
          {
            type: 'sql',
            on: 'source',
            sql: `${snapshotTransaction(snapshot).join(';\n')};\nCOPY <schema>.<table> TO STDOUT${binary};\n${ranged ? `-- a table above ${plan.copy.split_above_mb} MB, one ctid range of it per COPY:\nCOPY (SELECT <columns> FROM ONLY <schema>.<table> WHERE ctid >= '(<from>,0)' AND ctid < '(<to>,0)') TO STDOUT${binary};\n` : ''}-- next table (or range), same transaction, until every one is read\nCOMMIT;`,
            note: `${plan.copy.jobs} such sessions at a time, each taking the next table, largest first${ranged ? `; a table above ${plan.copy.split_above_mb} MB is cut into ${plan.copy.jobs} ranges of pages (or a multiple of that), the first and last open-ended` : ''}. They must start while the anchor session is open and idle.${plan.copy.binary ? ' Binary format on both sides when the source and every node run the same major version and every column copied is of a built-in type; text otherwise.' : ''}`,
          },
          {
            type: 'sql',
            on: 'nodes',
            sql: `BEGIN;\nTRUNCATE ONLY <schema>.<table>;\nCOPY <schema>.<table> FROM STDIN WITH (FREEZE);\nCOMMIT;${ranged ? '\n-- a table in ranges: emptied once (TRUNCATE ONLY) before its first range, then per range, several at once:\nBEGIN;\nCOPY <schema>.<table> (<columns>) FROM STDIN;\nCOMMIT;' : ''}`,
            note: `On ${nodes} at once, fed by that one COPY TO STDOUT (for example psql -c 'COPY ... TO STDOUT' | tee >(psql node1 -c 'COPY ... FROM STDIN') | psql node2 -c 'COPY ... FROM STDIN'), in the same format. The slowest node sets the pace.`,
          },
          {
            type: 'sql',
            on: 'source',
            sql: `-- in the same snapshot transaction, for each sequence:\nSELECT last_value, is_called FROM <schema>.<sequence>;\n-- then on every node:\nSELECT pg_catalog.setval('<schema>.<sequence>', <last_value>, <is_called>);${copiesLargeObjects(plan) ? '\n-- and each large object (created empty by pre-data), in 1 MB pieces:\nSELECT lo_get(<oid>, <offset>, 1048576);  -- on the source\nSELECT lo_put(<oid>, <offset>, <bytes>);  -- on every node' : ''}`,
            note: 'What pg_dump carries besides table data.',
          },
        ],
        check: { text: 'Every table has as many rows on each node as on the source at the snapshot (the report lists rows, bytes and time per table).' },
      };
    }
    case 'restore-post-data':
      return {
        steps: [{ type: 'command', command: sectionRestoreCommand(plan, node, ctx.dumpDir, 'post-data'), note: 'Indexes, constraints and triggers, built in parallel; all nodes at once.' }],
        check: {
          text: `pg_restore exited 0; the node has the source's indexes.${pgedge ? " Spock queued none of the copy's DDL (0)." : ''}`,
          on: node,
          sql: `SELECT count(*) AS indexes FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema');${pgedge ? `\n${NOTHING_QUEUED}` : ''}`,
        },
      };
    default:
      throw new Error(`${spec.kind} is not a task of copy.method stream`);
  }
}
