// How the checks talk to a database: read-only sessions with short timeouts.
import type pg from 'pg';
import { withClient } from '../pg/connect.js';

/**
 * Every statement of a check session runs read-only: check promises to change
 * nothing, and the server enforces it. The timeouts keep a check from hanging
 * behind a lock or a slow catalog (an ALTER TABLE holding ACCESS EXCLUSIVE
 * blocks even pg_table_size).
 */
export async function withCheckSession<T>(dsn: string, label: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(dsn, label, async (c) => {
    await c.query("SET default_transaction_read_only = on; SET statement_timeout = '30s'; SET lock_timeout = '5s'; SET idle_in_transaction_session_timeout = '60s'");
    return fn(c);
  });
}

/** PostgreSQL's major version from server_version_num: 150018 -> 15, 90624 -> 9.6. */
export function majorOf(versionNum: number): number {
  if (versionNum >= 100000) return Math.floor(versionNum / 10000);
  return Math.floor(versionNum / 10000) + (Math.floor(versionNum / 100) % 100) / 10;
}

/** The major version a client program reports: `pg_dump (PostgreSQL) 15.18 (Debian...)` -> 15, `9.6.0` -> 9.6. */
export function majorOfToolVersion(text: string): number | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first >= 10 ? first : first + Number(m[2] ?? 0) / 10;
}

export function settingsOf(rows: { name: string; setting: string }[]): Map<string, string> {
  return new Map(rows.map((r) => [r.name, r.setting]));
}
