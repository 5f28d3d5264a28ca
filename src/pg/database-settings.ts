// Reading pg_db_role_setting for the connected database.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import type { DatabaseSetting } from '../render/database-settings.js';

/** The connected database's own settings and its roles' settings in it, in the order they were set. */
export async function readDatabaseSettings(c: pg.Client): Promise<DatabaseSetting[]> {
  return (await c.query<DatabaseSetting>(renderSql('read-database-settings.sql.hbs', {}))).rows;
}
