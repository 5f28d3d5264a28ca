// What could still write to a frozen source: prepared transactions (a COMMIT
// PREPARED needs no open session of the writer, and may run from any session
// of the database), and sessions of the database other than this tool's.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import { quoteLiteral } from '../render/quote.js';

export interface PreparedTransaction {
  gid: string;
  owner: string;
  prepared_at: string;
}

export interface Intruder {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  backend_type: string;
  backend_xid: string | null;
}

export async function preparedTransactions(source: pg.Client): Promise<PreparedTransaction[]> {
  return (await source.query<PreparedTransaction>(renderSql('prepared-transactions.sql.hbs', {}))).rows;
}

/** Each prepared transaction by name, with the two statements that end it. */
export function describePrepared(list: PreparedTransaction[], database: string): string {
  const each = list.map((p) => `${quoteLiteral(p.gid)} (owner ${p.owner}, prepared at ${p.prepared_at})`).join(', ');
  const fix = list.map((p) => `COMMIT PREPARED ${quoteLiteral(p.gid)}; or ROLLBACK PREPARED ${quoteLiteral(p.gid)};`).join(' ');
  return `${list.length === 1 ? 'a prepared transaction is' : `${list.length} prepared transactions are`} open in the source database ${database}: ${each}. A COMMIT PREPARED after the freeze would write to the source behind the nodes' back. End ${list.length === 1 ? 'it' : 'each'} in that database, as whoever prepared it decides: ${fix}`;
}

/**
 * `ownPids`: this tool's other sessions of the database (integers, written into the SQL as they are).
 * `onNode`: a node frozen by rollback, where Spock's and pglogical's workers carry the other nodes' writes (frozen too) and are no intruders.
 */
export async function fenceIntruders(source: pg.Client, ownPids: number[], onNode = false): Promise<Intruder[]> {
  return (await source.query<Intruder>(renderSql(onNode ? 'fence-node-intruders.sql.hbs' : 'fence-intruders.sql.hbs', { own_pids: ownPids.filter(Number.isInteger) }))).rows;
}

/** Who they are, as far as the server knows: what a DBA needs to find the writer. */
export function describeIntruders(list: Intruder[]): string {
  return list
    .map((i) => {
      const who = [`pid ${i.pid}`, `user ${i.usename ?? '?'}`, `application_name ${JSON.stringify(i.application_name ?? '')}`, `client ${i.client_addr ?? 'local socket'}`];
      if (i.backend_type !== 'client backend') who.push(i.backend_type);
      if (i.backend_xid) who.push(`writing in transaction ${i.backend_xid}`);
      return who.join(', ');
    })
    .join('; ');
}
