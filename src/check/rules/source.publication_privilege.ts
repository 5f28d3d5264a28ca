import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { qualified, sq } from '../context.js';
import type { SourceCatalog } from '../facts.js';
import type { ResolvedPlan } from '../../plan/plan.js';
import { error, type SourceRule, type Verdict } from '../rule.js';

function ownership(f: SourceCatalog): Verdict | undefined {
  const notOwned = f.tables.filter((t) => !t.owned);
  if (!notOwned.length) return undefined;
  return error(
    `role ${f.user} does not own ${plural(notOwned.length, 'published table')}: ${listed(notOwned.map((t) => qualified(t.schema, t.name)))}`,
    'CREATE PUBLICATION ... FOR TABLE needs ownership of every table it names.',
    `Run the migration as the tables' owner or a superuser, or: ${listed(notOwned.map((t) => `ALTER TABLE ${sq(t.schema, t.name)} OWNER TO ${quoteIdent(f.user)};`), '\n')}`,
  );
}

function wholeSchemasOrDatabase(f: SourceCatalog, plan: ResolvedPlan, rds: boolean): Verdict {
  const schemas = plan.publish.schemas !== undefined;
  return error(
    `role ${f.user} is not a superuser${rds ? ' or a member of rds_superuser' : ''}, and the plan publishes ${schemas ? 'whole schemas (FOR TABLES IN SCHEMA)' : 'every table (FOR ALL TABLES)'}`,
    `PostgreSQL lets only a superuser create a publication ${schemas ? 'FOR TABLES IN SCHEMA' : 'FOR ALL TABLES'}.`,
    rds ? `Run the migration as the master user (a member of rds_superuser), or list the tables in publish.tables.` : `Run the migration as a superuser, or list tables this role owns in publish.tables.`,
  );
}

export const rule: SourceRule = {
  id: 'source.publication_privilege',
  target: 'source',
  severity: 'error',
  title: "the tool's role may create the publications",
  docs: {
    why: 'CREATE PUBLICATION needs the CREATE privilege on the database; FOR ALL TABLES and FOR TABLES IN SCHEMA need a superuser, and FOR TABLE ownership of every table it names.',
    fix: 'Run the migration as a superuser (on RDS: the master user), or list tables this role owns in publish.tables and GRANT CREATE ON DATABASE to it.',
  },
  check: (f, { plan }) => {
    if (f.role.superuser || f.role.memberships.includes('rds_superuser')) return undefined;
    const rds = f.settings.rds_logical_replication !== undefined;
    const out: Verdict[] = [];
    if (!f.can_create_in_database) {
      out.push(
        error(`role ${f.user} may not create in database ${f.database}`, 'CREATE PUBLICATION needs the CREATE privilege on the database.', `GRANT CREATE ON DATABASE ${quoteIdent(f.database)} TO ${quoteIdent(f.user)};`),
      );
    }
    const scope = plan.publish.tables ? ownership(f) : wholeSchemasOrDatabase(f, plan, rds);
    if (scope) out.push(scope);
    return out;
  },
};
