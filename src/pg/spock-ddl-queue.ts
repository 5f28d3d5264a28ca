// Spock queues every DDL statement it replicates in spock.queue on the node
// where it ran. A restore whose sessions kept their DDL local
// (src/render/spock-local-ddl.ts) leaves nothing there: that is how a restore
// proves it sent none of its CREATEs to the other nodes.
import type pg from 'pg';

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
