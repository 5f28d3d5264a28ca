// Undoing apply's settings:<node> on a node (abort --drop-data): each setting
// apply gave the node's database goes back to what the node had before (a
// value of its own, or none), and no other setting is touched.
import { renderSql } from './templates.js';
import { settingValueSql, type DatabaseSetting } from './database-settings.js';

/** A setting of the database (role null) or of a role in it, by name. */
export type SettingKey = Pick<DatabaseSetting, 'role' | 'name'>;

const sameKey = (a: SettingKey, b: SettingKey) => a.role === b.role && a.name === b.name;

/** `set`, each with the value it had in `before` (undefined: it had none, and is reset). */
export function settingsToRestore(set: SettingKey[], before: DatabaseSetting[]): (SettingKey & { value: string | undefined })[] {
  const unique = set.filter((s, i) => set.findIndex((t) => sameKey(s, t)) === i);
  return unique.map((s) => ({ role: s.role, name: s.name, value: before.find((b) => sameKey(b, s))?.value }));
}

export function restoreDatabaseSettingsSql(database: string, set: SettingKey[], before: DatabaseSetting[]): string {
  const settings = settingsToRestore(set, before).map((s) => ({ ...s, value: s.value === undefined ? null : settingValueSql(s.name, s.value) }));
  return renderSql('restore-database-settings.sql.hbs', { database, settings });
}

/** "search_path, work_mem, lock_timeout for app_user": how a report names them. */
export function describeSettings(set: SettingKey[]): string {
  return settingsToRestore(set, []).map((s) => (s.role ? `${s.name} for ${s.role}` : s.name)).join(', ');
}
