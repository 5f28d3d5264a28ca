// Spock queues every DDL statement it replicates in spock.queue on the node
// where it ran. A restore whose sessions kept their DDL local
// (src/render/spock-local-ddl.ts) leaves nothing there: that is how a restore
// proves it sent none of its CREATEs to the other nodes.
import type pg from 'pg';
import { OperationError } from '../errors.js';

/** The node's clock, to count what Spock queues from here on; undefined when the database has no Spock. */
export async function spockQueueMark(node: pg.Client): Promise<string | undefined> {
  const r = await node.query<{ spock: boolean; at: string }>("SELECT to_regclass('spock.queue') IS NOT NULL AS spock, clock_timestamp()::text AS at");
  return r.rows[0].spock ? r.rows[0].at : undefined;
}

/** How many statements Spock queued for the other nodes since the mark. */
export async function spockQueuedSince(node: pg.Client, mark: string): Promise<number> {
  const r = await node.query<{ n: number }>('SELECT count(*)::int AS n FROM spock.queue WHERE queued_at >= $1::timestamptz', [mark]);
  return r.rows[0].n;
}

/**
 * Proof that Spock queued none of `what`'s DDL on `node` since the mark (the
 * other nodes restore the same schema themselves); the summary's clause, or an
 * error that says what to do.
 */
export async function provenKeptLocal(client: pg.Client, node: string, mark: string, what: string): Promise<string> {
  const queued = await spockQueuedSince(client, mark);
  if (queued > 0) {
    throw new OperationError(
      `Spock queued ${queued} DDL statement${queued === 1 ? '' : 's'} of ${what} on ${node} for the other nodes, which restore the same schema themselves`,
      `The migration's sessions set spock.enable_ddl_replication = off; a Spock that does not honour it per session needs it off in the server's configuration during apply. Then: migrate abort --drop-data, and apply again.`,
    );
  }
  return '; Spock queued none of its DDL for the other nodes';
}
