import { listed, plural } from '../finding.js';
import { qualified, sq } from '../context.js';
import { error, warning, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.unlogged_tables',
  target: 'source',
  severity: 'error',
  title: 'no published table is unlogged',
  docs: {
    why: 'Unlogged tables write no WAL, so logical replication cannot carry them: the nodes get their rows as of the dump and none of the changes after it (a warning). CREATE PUBLICATION ... FOR TABLE refuses them outright (an error with publish.tables).',
    fix: 'ALTER TABLE ... SET LOGGED; (rewrites the table under an exclusive lock), or accept that they start from the dump, or remove them from publish.tables.',
  },
  check: (f, { plan }) => {
    const tables = f.tables.filter((t) => t.persistence === 'u');
    if (!tables.length) return undefined;
    const unlogged = tables.map((t) => qualified(t.schema, t.name));
    const setLogged = tables.map((t) => `ALTER TABLE ${sq(t.schema, t.name)} SET LOGGED;`);
    if (plan.publish.tables) {
      return error(
        `publish.tables names ${plural(unlogged.length, 'unlogged table')}: ${listed(unlogged)}`,
        'Unlogged tables write no WAL, so logical replication cannot carry them; CREATE PUBLICATION ... FOR TABLE refuses them.',
        `${listed(setLogged, '\n')}\n(rewrites the table under an exclusive lock), or remove them from publish.tables.`,
      );
    }
    return warning(
      `${plural(unlogged.length, 'unlogged table')}: ${listed(unlogged)}`,
      'Unlogged tables write no WAL, so logical replication skips them: the nodes get their rows as of the dump and none of the changes after it.',
      `If their contents matter after the switch: ${listed(setLogged, ' ')} (rewrites each table under an exclusive lock); otherwise accept that they start from the dump's contents.`,
    );
  },
};
