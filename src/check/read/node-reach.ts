// Whether the node can open the connection its subscription will use. A
// throwaway subscription would test it exactly but changes the node; dblink,
// when the node has it, opens the same kind of libpq connection and changes
// nothing. Without it the test is not possible from here.
import type pg from 'pg';
import { pgErrorText } from '../../pg/connect.js';
import { isUri, parseConninfo } from '../../plan/conninfo.js';
import { quoteIdent } from '../../render/quote.js';
import { subscriptionConnection } from '../../render/describe.js';
import type { CheckContext } from '../context.js';
import type { ReachFacts } from '../facts.js';
import { extensionSchema } from './multimaster.js';

/** How long the node may take to open its test connection to the source. */
const REACH_TIMEOUT_SECONDS = 10;

export async function readReach(c: pg.Client, ctx: CheckContext, nodeName: string): Promise<ReachFacts> {
  const dblink = await extensionSchema(c, 'dblink');
  if (!dblink) return { tested: false, why: 'no_dblink' };
  const conninfo = withConnectTimeout(subscriptionConnection(ctx.plan, nodeName, true));
  try {
    // Statement logging on the node would write the connection string (and its password) to the server log.
    await c.query("SET log_statement = 'none'; SET log_min_duration_statement = -1").catch(() => undefined);
    await c.query(`SELECT x FROM ${quoteIdent(dblink)}.dblink($1, 'SELECT 1') AS t(x int)`, [conninfo]);
    return { tested: true };
  } catch (e) {
    return { tested: true, error: { code: (e as { code?: string }).code, text: pgErrorText(e) } };
  }
}

/** The subscription's string with a bound on how long the test may wait for the source. */
export function withConnectTimeout(dsn: string): string {
  let info: Record<string, string>;
  try {
    info = parseConninfo(dsn);
  } catch {
    return dsn;
  }
  if (info.connect_timeout) return dsn;
  if (isUri(dsn)) return `${dsn}${dsn.includes('?') ? '&' : '?'}connect_timeout=${REACH_TIMEOUT_SECONDS}`;
  return `${dsn} connect_timeout=${REACH_TIMEOUT_SECONDS}`;
}
