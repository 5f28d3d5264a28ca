import { listed, plural } from '../finding.js';
import { planTableName } from '../../plan/table-name.js';
import { error, warning, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.published_tables',
  target: 'source',
  severity: 'error',
  title: 'what publish names exists, and the publication carries a table',
  docs: {
    why: 'CREATE PUBLICATION fails on a table or schema that does not exist, and pg_dump --table on a pattern that matches nothing. A publication that carries no table replicates nothing: the nodes would get the dump and no changes after it.',
    fix: 'Fix the names in publish.tables (schema.table) or publish.schemas, exactly as PostgreSQL spells them (case included).',
  },
  check: (f, { plan }) => {
    const { publish } = plan;
    if (publish.tables) {
      const missing = publish.tables.filter((t) => !f.tables.some((x) => x.schema === planTableName(t).schema && x.name === planTableName(t).name));
      if (missing.length) {
        return error(
          `publish.tables names ${plural(missing.length, 'table')} the source does not have (or not as a table): ${listed(missing)}`,
          'CREATE PUBLICATION fails on a table that does not exist, and pg_dump --table on a pattern that matches nothing.',
          'Fix the names in publish.tables: schema.table, exactly as PostgreSQL spells them (case included).',
        );
      }
    }
    if (publish.schemas) {
      const missing = publish.schemas.filter((s) => !f.present_schemas.includes(s));
      if (missing.length) {
        return error(
          `publish.schemas names ${plural(missing.length, 'schema')} the source does not have: ${listed(missing)}`,
          'CREATE PUBLICATION ... FOR TABLES IN SCHEMA fails on a schema that does not exist.',
          'Fix the names in publish.schemas, exactly as PostgreSQL spells them.',
        );
      }
    }
    if (!f.tables.some((t) => t.persistence === 'p')) {
      return warning('the publication would carry no table', 'Nothing would be replicated: the nodes would get the dump and no changes after it.', 'Check publish.schemas / publish.tables and the source.dsn database.');
    }
    return undefined;
  },
};
