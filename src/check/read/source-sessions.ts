// Sessions on the source that slot creation would wait for.
import type pg from 'pg';
import { LONG_TRANSACTION_SECONDS, type LongTransaction, type PreparedTransaction } from '../facts.js';

export async function readLongTransactions(c: pg.Client): Promise<LongTransaction[]> {
  return (
    await c.query<LongTransaction>(
      `SELECT pid, usename, datname, application_name, state, extract(epoch FROM now() - xact_start)::int AS age
         FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start < now() - make_interval(secs => $1)
        ORDER BY xact_start LIMIT 20`,
      [LONG_TRANSACTION_SECONDS],
    )
  ).rows;
}

export async function readPreparedTransactions(c: pg.Client): Promise<PreparedTransaction[]> {
  return (await c.query<PreparedTransaction>('SELECT gid, owner, database, extract(epoch FROM now() - prepared)::int AS age FROM pg_prepared_xacts ORDER BY prepared')).rows;
}
