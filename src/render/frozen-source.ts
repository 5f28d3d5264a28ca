// What the operator is told about a source database frozen read-only, and
// how to make it writable by hand in a way that works as typed.
import { renderSql } from './templates.js';

/**
 * Typed into a session of the frozen database, a plain ALTER DATABASE fails:
 * the session's transactions start read-only ("cannot execute ALTER DATABASE
 * in a read-only transaction"). One made read-write first succeeds, in that
 * database or any other of the server, in psql or as one `psql -c` string.
 * It also opens the database to connections, in case a freeze closed it (then
 * it must be typed from another database of the server: psql -d postgres).
 */
export function unfreezeByHand(database: string): string {
  return `BEGIN READ WRITE; ${renderSql('open-database.sql.hbs', { database })} ${renderSql('unfreeze-writes.sql.hbs', { database })} COMMIT;`;
}

export interface FrozenContext {
  database: string;
  /** When a cutover of this state directory switched writes to the nodes. */
  switchedAt?: string;
  /** When a cutover of this state directory froze it (and did not finish). */
  frozenAt?: string;
  /** Who else may have frozen it: another run's identity, described. */
  otherRun?: string;
  /** Closed to new connections too (ALLOW_CONNECTIONS false). */
  closed?: boolean;
}

/** One paragraph: that the source is read-only, why as far as is known, and what to do. */
export function describeFrozenSource(ctx: FrozenContext, file: string): string {
  const head = ctx.closed
    ? `!! The source database ${ctx.database} takes no connection (ALLOW_CONNECTIONS false), so it takes no write either.`
    : `!! The source database ${ctx.database} is read-only: default_transaction_read_only = on is set on the database (pg_db_role_setting).`;
  const how = `with this, typed in psql connected to the source's server (the frozen database itself, or another such as postgres if it takes no connection):\n     ${unfreezeByHand(ctx.database)}`;
  if (ctx.switchedAt) {
    return `${head}\n   The cutover switched writes to the nodes at ${ctx.switchedAt}: the nodes are the live database, and the source stays read-only so that no write is made where it would be lost.\n   Only if you are sure nothing writes to the nodes and you want the source back, make it writable ${how}`;
  }
  if (ctx.frozenAt) {
    return `!! Writes to the source database ${ctx.database} are frozen since ${ctx.frozenAt} by a cutover that did not finish: run \`migrate cutover ${file}\` to finish it, or \`migrate abort ${file}\` to make the source writable again.\n   By hand, make it writable ${how}`;
  }
  const who = ctx.otherRun ? `The plan's replication objects belong to ${ctx.otherRun}: a cutover of that run may have frozen it (see \`migrate status\` with its state directory).` : 'No cutover recorded in this state directory froze it.';
  return `${head}\n   ${who} If no cutover has switched writes to the nodes, make it writable ${how}`;
}
