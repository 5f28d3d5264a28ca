// The sessions compare opens: read-only, with short timeouts, and proven so
// before the first query (a pooler may drop startup options; SET it is).
import type pg from 'pg';
import { connect } from '../pg/connect.js';
import { OperationError } from '../errors.js';

export interface CompareTarget {
  /** 'source' or a node's name. */
  name: string;
  dsn: string;
}

export async function openCompareSession(target: CompareTarget, statementTimeoutMs: number): Promise<pg.Client> {
  const label = target.name === 'source' ? 'the source' : `node ${target.name}`;
  const c = await connect(target.dsn, label, { application_name: 'pgedge-migrate compare' });
  try {
    await c.query(
      `SET default_transaction_read_only = on; SET statement_timeout = ${Math.max(1, Math.round(statementTimeoutMs))}; SET lock_timeout = '1s'; SET idle_in_transaction_session_timeout = '60s'`,
    );
    const r = await c.query("SELECT current_setting('default_transaction_read_only') AS ro");
    if (r.rows[0].ro !== 'on') throw new OperationError(`${label}: the session did not become read-only (default_transaction_read_only is ${r.rows[0].ro})`, 'compare runs only in read-only sessions; connect directly rather than through a pooler that resets settings.');
    return c;
  } catch (e) {
    await c.end().catch(() => undefined);
    throw e;
  }
}

export async function closeAll(clients: pg.Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
}
