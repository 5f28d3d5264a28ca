// Stopping every writer of the source database, not only this tool's role:
// new sessions start read-only, and every other client session of the
// database is ended. Replication connections (walsenders) are left alone.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import { quoteIdent, quoteLiteral } from '../render/quote.js';

export interface FreezeState {
  database: string;
  /** default_transaction_read_only as set on the database before the freeze (null: not set). */
  read_only_before: string | null;
  frozen_at: string;
}

export async function databaseReadOnlySetting(source: pg.Client): Promise<{ database: string; value: string | null }> {
  const r = await source.query<{ database: string; value: string | null }>(
    `SELECT current_database() AS database,
            (SELECT substring(s FROM '^default_transaction_read_only=(.*)$')
               FROM pg_db_role_setting d, unnest(d.setconfig) s
              WHERE d.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND d.setrole = 0 AND s LIKE 'default_transaction_read_only=%') AS value`,
  );
  return r.rows[0];
}

export async function freezeWrites(source: pg.Client, sql: string): Promise<number> {
  // The ALTER and the terminations are separate statements: the ALTER must be
  // committed before sessions are ended, so that reconnecting clients see it.
  const [alter, ...rest] = sql.split(/;\s*\n/);
  await source.query(alter);
  const r = await source.query(rest.join(';\n'));
  return r.rowCount ?? 0;
}

export async function unfreezeWrites(source: pg.Client, state: Pick<FreezeState, 'database' | 'read_only_before'>): Promise<void> {
  if (state.read_only_before === null) {
    await source.query(renderSql('unfreeze-writes.sql.hbs', { database: state.database }));
  } else {
    await source.query(`ALTER DATABASE ${quoteIdent(state.database)} SET default_transaction_read_only = ${quoteLiteral(state.read_only_before)}`);
  }
}
