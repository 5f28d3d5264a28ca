// The source database's settings (pg_db_role_setting) as the statements that
// give a node's database the same, written as pg_dump --create writes them.
import { quoteLiteral } from './quote.js';
import { renderSql } from './templates.js';

export interface DatabaseSetting {
  /** null: the database's own setting (ALTER DATABASE); else ALTER ROLE role IN DATABASE. */
  role: string | null;
  name: string;
  /** As stored in pg_db_role_setting.setconfig, after the '='. */
  value: string;
}

// Settings whose stored value is a list of (double-quoted when needed) names:
// each element must be given as a literal of its own, or the whole list would
// become one name (pg_dump's variable_is_guc_list_quote).
const LIST_QUOTE = new Set(['local_preload_libraries', 'search_path', 'session_preload_libraries', 'shared_preload_libraries', 'temp_tablespaces', 'unix_socket_directories']);

/** `a, "b c"` -> ['a', 'b c'], as PostgreSQL's SplitGUCList; undefined when it is not such a list. */
export function splitGucList(value: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const space = () => {
    while (i < value.length && /\s/.test(value[i])) i++;
  };
  space();
  if (i === value.length) return [];
  for (;;) {
    let item = '';
    if (value[i] === '"') {
      for (i++; ; i++) {
        if (i >= value.length) return undefined;
        if (value[i] === '"') {
          if (value[i + 1] !== '"') break;
          i++;
        }
        item += value[i];
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ',' && !/\s/.test(value[i])) item += value[i++];
      if (!item) return undefined;
    }
    out.push(item);
    space();
    if (i === value.length) return out;
    if (value[i] !== ',') return undefined;
    i++;
    space();
  }
}

/** The value as SQL after `SET name TO`. */
export function settingValueSql(name: string, value: string): string {
  const items = LIST_QUOTE.has(name) ? splitGucList(value) : undefined;
  if (items?.length) return items.map(quoteLiteral).join(', ');
  return quoteLiteral(value);
}

/**
 * A setting that would stop the migration on the node: sessions that start
 * read-only fail the restore and the tool's own work there. Carried only
 * when it concerns another role than the one the tool connects as.
 */
export function hindersMigration(s: DatabaseSetting, nodeUser: string): boolean {
  return (s.name === 'default_transaction_read_only' || s.name === 'transaction_read_only') && (s.role === null || s.role === nodeUser);
}

/** The statements that give `database` these settings (one template for the runbook, the run and the check). */
export function databaseSettingsSql(database: string, settings: DatabaseSetting[] | undefined): string {
  return renderSql('set-database-settings.sql.hbs', { database, settings: settings?.map((x) => ({ role: x.role, name: x.name, value: settingValueSql(x.name, x.value) })) ?? null });
}
