// Rollback's freeze, on the nodes: the mirror of the cutover's on the source.
import type pg from 'pg';
import type { TaskRunner } from './context.js';
import { databaseReadOnlySetting, freezeWrites, requireFreezePrivileges } from '../pg/write-freeze.js';
import { renderSql } from '../render/templates.js';

/** A session of this tool that may write on a database left read-only for every other one. */
export async function writable(client: pg.Client): Promise<pg.Client> {
  await client.query(renderSql('writable-session.sql.hbs', {}));
  return client;
}

/**
 * Every node's database becomes read-only for new sessions and every other
 * client session of it is ended (walsenders and pglogical/Spock workers are
 * not client sessions: the streams keep running). The nodes are not closed
 * to connections: the fallback stream's walsender must be able to reconnect.
 */
export const freezeNodes: TaskRunner = async (ctx) => {
  const clients = await Promise.all(ctx.plan.nodes.map((n) => ctx.db(n.name).then(writable)));
  for (const [i, c] of clients.entries()) await requireFreezePrivileges(c, `node ${ctx.plan.nodes[i].name}`, 'run rollback again');
  const settings = await Promise.all(clients.map((c) => databaseReadOnlySetting(c)));
  // A rerun after a kill keeps what the nodes were before the first freeze.
  const before = ctx.facts.rollback_freeze?.read_only_before ?? Object.fromEntries(ctx.plan.nodes.map((n, i) => [n.name, settings[i].value]));
  const frozenAt = ctx.facts.rollback_freeze?.frozen_at ?? new Date().toISOString();
  ctx.record({ rollback_freeze: { frozen_at: frozenAt, read_only_before: before } });
  const ended = await Promise.all(clients.map((c, i) => freezeWrites(c, renderSql('freeze-writes.sql.hbs', { database: settings[i].database, own_pids: [] }))));
  return { summary: `writes frozen on ${ctx.plan.nodes.map((n, i) => `${n.name} (${ended[i]} session${ended[i] === 1 ? '' : 's'} ended)`).join(', ')}` };
};
