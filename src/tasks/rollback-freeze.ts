// Rollback's freeze, on the nodes: the mirror of the cutover's on the source.
import type pg from 'pg';
import type { TaskRunner } from './context.js';
import { databaseReadOnlySetting, freezeWrites, closeDatabase, requireFreezePrivileges } from '../pg/write-freeze.js';
import { renderSql } from '../render/templates.js';
import { OperationError } from '../errors.js';
import { nodesPrepared } from './node-fence.js';

/** A session of this tool that may write on a database left read-only for every other one. */
export async function writable(client: pg.Client): Promise<pg.Client> {
  await client.query(renderSql('writable-session.sql.hbs', {}));
  return client;
}

/**
 * A wall on every node, as the cutover's on the source: each node's database
 * is closed to new connections (from another database of its server: a
 * session could undo default_transaction_read_only with PGOPTIONS, SET or
 * BEGIN READ WRITE), new sessions would start read-only, and every other
 * client session of it is ended, but this tool's own (opened at the
 * readiness check). Walsenders, the fallback stream's among them, and
 * Spock's or pglogical's workers are not client sessions and stay connected:
 * the streams keep running. None of them could connect again while the
 * database is closed, so the drain calls the rollback off if one is lost.
 */
export const freezeNodes: TaskRunner = async (ctx) => {
  const { nodes } = ctx.plan;
  const clients = await Promise.all(nodes.map((n) => ctx.db(n.name).then(writable)));
  for (const [i, c] of clients.entries()) await requireFreezePrivileges(c, `node ${nodes[i].name}`, 'run rollback again');
  const settings = await Promise.all(clients.map((c) => databaseReadOnlySetting(c)));
  // A rerun after a kill keeps what the nodes were before the first freeze, and when it began.
  const prior = ctx.facts.rollback_freeze;
  const before = prior?.read_only_before ?? Object.fromEntries(nodes.map((n, i) => [n.name, settings[i].value]));
  const databases = Object.fromEntries(nodes.map((n, i) => [n.name, settings[i].database]));
  // Durable before it takes effect: a kill from here on still knows how to undo it.
  ctx.record({ rollback_freeze: { frozen_at: prior?.frozen_at ?? new Date().toISOString(), read_only_before: before, databases, closed: true } });
  const ended = await Promise.all(
    nodes.map(async (n, i) => {
      const close = renderSql('close-database.sql.hbs', { database: settings[i].database });
      ctx.sqlRan(`server:${n.name}`, close);
      await closeDatabase(await ctx.nodeServer(n.name), settings[i].database);
      const sql = renderSql('freeze-writes.sql.hbs', { database: settings[i].database, own_pids: (await ctx.ownNodePids(n.name)).filter(Number.isInteger) });
      ctx.sqlRan(n.name, sql);
      return freezeWrites(clients[i], sql);
    }),
  );
  // One prepared after the readiness check, before the database closed.
  const prepared = await nodesPrepared(ctx);
  if (prepared.length) throw new OperationError(prepared.join('; '), 'The rollback is called off and the nodes unfrozen; run it again once none is left.');
  return { summary: `writes frozen on ${nodes.map((n, i) => `${n.name} (closed to new connections; ${ended[i]} session${ended[i] === 1 ? '' : 's'} ended)`).join(', ')}` };
};
