// Row counts per published table, counted inside each database.
import type pg from 'pg';
import { quoteIdent } from '../render/quote.js';

export interface PublishedTable {
  schema: string;
  name: string;
}

/** The table as SQL names it: unambiguous even when a name holds a dot. */
export function tableLabel(t: PublishedTable): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

export async function publishedTables(source: pg.Client, publication: string): Promise<PublishedTable[]> {
  const r = await source.query<{ schemaname: string; tablename: string }>('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2', [publication]);
  return r.rows.map((x) => ({ schema: x.schemaname, name: x.tablename }));
}

/** Counts keyed by tableLabel. */
export async function rowCounts(client: pg.Client, tables: PublishedTable[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  // One statement per 50 tables keeps round trips few inside the write freeze.
  for (let i = 0; i < tables.length; i += 50) {
    const chunk = tables.slice(i, i + 50);
    const sql = `SELECT ${chunk.map((t, j) => `(SELECT count(*) FROM ${tableLabel(t)}) AS ${quoteIdent(`c${j}`)}`).join(', ')}`;
    const row = (await client.query(sql)).rows[0];
    chunk.forEach((t, j) => out.set(tableLabel(t), BigInt(row[`c${j}`])));
  }
  return out;
}
