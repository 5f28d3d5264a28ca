import { listed } from '../finding.js';
import { databaseSettingsSql, hindersMigration } from '../../render/database-settings.js';
import { warning, type NodeRule } from '../rule.js';
import { parseConninfo } from '../../plan/conninfo.js';

const WHY = "apply gives the node's database the source database's settings, except those that would stop the migration (sessions of the tool's role starting read-only) and those of roles the node does not have: the application may depend on them after the switch.";

export const rule: NodeRule = {
  id: 'node.database_settings',
  target: 'node',
  severity: 'warning',
  title: "every source database setting can be carried to the node's database",
  docs: { why: WHY, fix: 'Create the missing roles on the node before apply; set a held-back read-only setting on the node after the switch.' },
  check: (f) => {
    const settings = f.source?.database_settings ?? [];
    const present = new Set(f.setting_roles);
    const missing = settings.filter((s) => s.role !== null && !present.has(s.role));
    const held = settings.filter((s) => hindersMigration(s, f.role.user));
    const out = [];
    const db = parseConninfo(f.node.dsn).dbname ?? '<node database>';
    if (missing.length) {
      const roles = [...new Set(missing.map((s) => s.role!))];
      out.push(warning(`the node lacks ${listed(roles.map((r) => `role ${r}`))}, whose settings in the source database apply cannot carry`, WHY, `Create ${roles.length === 1 ? 'it' : 'them'} on the node before apply (CREATE ROLE ...), or set them afterwards: ${databaseSettingsSql(db, missing).split('\n').join(' ')}`));
    }
    if (held.length) {
      out.push(warning(`held back, because the restore and the stream need writes: ${listed(held.map((s) => `${s.name}${s.role ? ` for ${s.role}` : ''}`))}`, WHY, `After the switch, if the application needs it: ${databaseSettingsSql(db, held).split('\n').join(' ')}`));
    }
    return out.length ? out : undefined;
  },
};
