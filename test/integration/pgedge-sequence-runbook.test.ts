// The runbook's sequence step of a pgEdge plan under strategy snowflake: the
// statements it prints are the executor's. Its query runs on the source (plain
// PostgreSQL is enough: it only reads the sequences), and what it prints is
// compared with what sync-sequences runs on a node whose columns' sequences
// were converted before the freeze (src/pg/sequences.ts, sequenceAction).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import { startCluster, type Cluster } from '../harness/index.js';
import { buildGraph } from '../../src/plan/graph.js';
import { describeTask } from '../../src/render/describe.js';
import { readSequenceColumns, readSourceSequences, sequenceAction } from '../../src/pg/sequences.js';
import { FIXTURES, planFromFile } from '../unit/support.js';

let source: Cluster;
const plan = planFromFile(join(FIXTURES, 'valid', 'pgedge-nodes.yaml'));

beforeAll(async () => {
  source = await startCluster({ name: 'source' });
  await source.createDatabase('app');
  await source.exec(
    `CREATE SCHEMA sales;
     CREATE TABLE orders (id serial PRIMARY KEY, note text);
     CREATE TABLE sales.invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
     CREATE SEQUENCE ticket_no START 100;               -- used by nextval('ticket_no') only
     CREATE SEQUENCE sales."Odd seq" INCREMENT BY -3;   -- descending, a name that needs quotes
     CREATE SEQUENCE sales.unused;
     CREATE SCHEMA other; CREATE SEQUENCE other.not_published;
     INSERT INTO orders (note) SELECT 'x' FROM generate_series(1, 5);
     SELECT nextval('ticket_no') FROM generate_series(1, 7);
     SELECT nextval('sales."Odd seq"');`,
    'app',
  );
});

afterAll(async () => {
  await source?.stop();
});

describe('the pgEdge runbook, strategy snowflake', () => {
  it("prints for each sequence no column uses the executor's own statements, and none for those a column uses (converted before the freeze)", async () => {
    const spec = buildGraph(plan, 'cutover').tasks.find((t) => t.id === 'sequences:n2')!;
    const steps = describeTask(spec, { plan, dumpDir: '/d', facts: {}, reveal: false }).steps;
    const query = steps.find((s) => s.type === 'sql' && s.on === 'source' && s.output?.kind === 'statements');
    expect(query, JSON.stringify(steps, null, 1)).toBeDefined();

    const c = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: 'app' });
    await c.connect();
    try {
      const printed = (await c.query<{ statement: string }>((query as { sql: string }).sql)).rows.map((r) => r.statement);
      const columnsOf = await readSequenceColumns(c);
      const index = plan.nodes.findIndex((n) => n.name === 'n2');
      const executed = (await readSourceSequences(c, ['public', 'sales'])).flatMap(
        (seq) => sequenceAction(seq, 'snowflake', columnsOf(seq.schema, seq.name).map((col) => ({ ...col, converted: true })), BigInt(plan.cutover.sequences.gap), index, plan.nodes.length).statements,
      );
      expect(printed).toEqual(executed.map((s) => `${s};`));
      expect(printed.join('\n')).toContain('ALTER SEQUENCE public.ticket_no INCREMENT BY 2;');
      expect(printed.join('\n')).toContain('ALTER SEQUENCE sales."Odd seq" INCREMENT BY -6;');
      expect(printed.join('\n')).not.toMatch(/orders_id_seq|invoices_id_seq|not_published|snowflake\./);
    } finally {
      await c.end();
    }
  });

  it('the same query under strategy interleave (plain PostgreSQL nodes) prints the executor\'s statements for every sequence', async () => {
    const plain = planFromFile(join(FIXTURES, 'valid', 'two-postgres-nodes.yaml'));
    const spec = buildGraph(plain, 'cutover').tasks.find((t) => t.id === 'sequences:n1')!;
    const query = describeTask(spec, { plan: plain, dumpDir: '/d', facts: {}, reveal: false }).steps.find((st) => st.type === 'sql' && st.output?.kind === 'statements') as { sql: string };
    const c = new pg.Client({ host: source.host, port: source.port, user: 'postgres', password: source.password, database: 'app' });
    await c.connect();
    try {
      const printed = (await c.query<{ statement: string }>(query.sql)).rows.map((r) => r.statement);
      const executed = (await readSourceSequences(c, null)).flatMap((seq) => sequenceAction(seq, 'interleave', [], BigInt(plain.cutover.sequences.gap), 0, plain.nodes.length).statements);
      expect(printed).toEqual(executed.map((st) => `${st};`));
      expect(printed.join('\n')).toContain('orders_id_seq');
    } finally {
      await c.end();
    }
  });
});
