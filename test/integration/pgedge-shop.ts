// What the pgEdge integration tests share: the sample database with what it
// lacks for Snowflake (a 4-byte serial key with a 4-byte foreign key to it,
// and a standalone sequence the application calls by name), a load that uses
// them, and a stock PostgreSQL 15 source beside three pgEdge nodes meshed
// with Spock before the migration.
import { afterAll, beforeAll } from 'vitest';
import { startClusters, type Cluster } from '../harness/index.js';
import { startPgedgeNodes, createSpockMesh } from '../harness/pgedge.js';
import { SAMPLE_SCHEMA, SAMPLE_LOAD } from './support.js';

export const INVOICES = (seedRows: number) => `
CREATE SEQUENCE shop.invoice_numbers START 1000;
CREATE TABLE shop.invoices (id serial PRIMARY KEY, order_id bigint NOT NULL, number bigint NOT NULL UNIQUE, note text);
CREATE TABLE shop.invoice_lines (invoice_id int NOT NULL REFERENCES shop.invoices (id) ON DELETE CASCADE, line int NOT NULL, amount numeric(12, 2) NOT NULL, PRIMARY KEY (invoice_id, line));
INSERT INTO shop.invoices (order_id, number, note) SELECT i, nextval('shop.invoice_numbers'), 'seed' FROM generate_series(1, ${seedRows}) i;
INSERT INTO shop.invoice_lines SELECT id, 1, 9.99 FROM shop.invoices;
`;

/** The sample load, each transaction also drawing an invoice number from the standalone sequence. */
export const INVOICE_LOAD = SAMPLE_LOAD.replace(
  /^COMMIT;$/m,
  "INSERT INTO shop.invoices (order_id, number) VALUES (:oid, nextval('shop.invoice_numbers')) RETURNING id AS iid \\gset\nINSERT INTO shop.invoice_lines VALUES (:iid, 1, :amount / 100.0);\nCOMMIT;",
);

/**
 * Writes on node i (1-based) after the switch: default (Snowflake) keys, the
 * standalone sequence, and changes to source rows only this node touches;
 * with `documents`, bytea rows too.
 */
export function writesOn(c: Cluster, db: string, i: number, opts: { documents: boolean }): Promise<void> {
  return c.exec(
    `INSERT INTO shop.customers (email) SELECT 'n${i}-' || g || '@example.com' FROM generate_series(1, 20) g;
     INSERT INTO shop.orders (customer_id, total) SELECT 1, g FROM generate_series(1, 20) g;
     INSERT INTO shop.invoices (order_id, number, note) SELECT g, nextval('shop.invoice_numbers'), 'n${i}' FROM generate_series(1, 20) g;
     INSERT INTO shop.invoice_lines SELECT id, 2, 1.00 FROM shop.invoices WHERE note = 'n${i}';
     INSERT INTO public.events (at, kind) SELECT now(), 'n${i}' FROM generate_series(1, 20) g;
     ${opts.documents ? `INSERT INTO public.documents (name, body) SELECT 'n${i}-' || g, '\\x00' FROM generate_series(1, 20) g;` : ''}
     UPDATE shop.customers SET profile = jsonb_build_object('touched_by', 'n${i}') WHERE id <= 300 AND id % 3 = ${i - 1};
     DELETE FROM shop.invoices WHERE note = 'seed' AND id <= 300 AND id % 3 = ${i - 1};`,
    db,
  );
}

export const notSpock = (t: string) => !/^(spock|snowflake)\./.test(t);

/**
 * The file's source and three meshed pgEdge nodes, database `db` on each and
 * the sample plus `extraSchema` on the source, started before its tests
 * (unless `ready` is false) and stopped after.
 */
export function pgedgeClustersForFile(ready: boolean, db: string, extraSchema: string, assign: (source: Cluster, nodes: Cluster[]) => void): void {
  let all: Cluster[] = [];
  beforeAll(async () => {
    if (!ready) return;
    const [[source], nodes] = await Promise.all([startClusters(['source']), startPgedgeNodes(['n1', 'n2', 'n3'])]);
    all = [source, ...nodes];
    await Promise.all(all.map((c) => c.createDatabase(db)));
    await source.exec(SAMPLE_SCHEMA + extraSchema, db);
    await createSpockMesh(nodes, db);
    assign(source, nodes);
  });
  afterAll(async () => {
    await Promise.all(all.map((c) => c.stop()));
  });
}
