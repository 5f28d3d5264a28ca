import { listed, plural } from '../finding.js';
import { databaseSettingsSql } from '../../render/database-settings.js';
import { info, type SourceRule } from '../rule.js';

const WHY = "A dump without --create does not carry ALTER DATABASE ... SET or ALTER ROLE ... IN DATABASE ... SET: without them, queries that resolve names through search_path (or rely on another setting) fail on the nodes after the switch. apply carries them (the settings:<node> tasks).";

export const rule: SourceRule = {
  id: 'source.database_settings',
  target: 'source',
  severity: 'info',
  title: "the source database's own settings, which apply carries to the nodes, are named",
  docs: { why: WHY, fix: 'Nothing to do: apply sets them on every node. A setting it holds back (read-only for the role it connects as, or of a role the node lacks) is named by node.database_settings.' },
  check: (f, { plan }) => {
    const s = f.database_settings;
    if (!s.length) return undefined;
    const statements = databaseSettingsSql('<node database>', s).split('\n');
    return info(`${plural(s.length, 'setting')} of database ${f.database}: ${listed(s.map((x) => `${x.name}${x.role ? ` for ${x.role}` : ''}`))}`, WHY, `apply runs on ${listed(plan.nodes.map((n) => n.name))}: ${statements.join(' ')}`);
  },
};
