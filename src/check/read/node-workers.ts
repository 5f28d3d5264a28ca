// What a node's subscription takes from the server's limits: an apply worker
// (a background worker) and a replication origin.
import type pg from 'pg';

// Processes that do not take a max_worker_processes slot (PostgreSQL's own auxiliaries).
const NOT_BACKGROUND_WORKERS = ['client backend', 'autovacuum launcher', 'autovacuum worker', 'walsender', 'walwriter', 'checkpointer', 'background writer', 'startup', 'archiver', 'walreceiver', 'standalone backend'];

export async function readEnabledSubscriptions(c: pg.Client): Promise<number> {
  return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_subscription WHERE subenabled')).rows[0].n;
}

export async function readBackgroundWorkers(c: pg.Client): Promise<number> {
  return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE NOT (backend_type = ANY ($1))', [NOT_BACKGROUND_WORKERS])).rows[0].n;
}

export async function readReplicationOrigins(c: pg.Client): Promise<number> {
  return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_origin')).rows[0].n;
}
