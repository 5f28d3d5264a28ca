import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { qualified, sq, type PublishedTable } from '../context.js';
import { error, type SourceRule } from '../rule.js';

/** Whether PostgreSQL can publish the table's UPDATEs and DELETEs. */
export function hasIdentity(t: PublishedTable): boolean {
  if (t.replident === 'f') return true;
  if (t.replident === 'd') return t.has_pk;
  if (t.replident === 'i') return t.has_identity_index;
  return false;
}

function identityFix(t: PublishedTable): string {
  const table = sq(t.schema, t.name);
  if (t.replident === 'n' && t.has_pk) return `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT;`;
  if (t.candidate_index) return `ALTER TABLE ${table} REPLICA IDENTITY USING INDEX ${quoteIdent(t.candidate_index)};`;
  return `ALTER TABLE ${table} ADD PRIMARY KEY (<columns>);  -- or, heavier on every update and delete: ALTER TABLE ${table} REPLICA IDENTITY FULL;`;
}

const WHY =
  'Once the publication exists, PostgreSQL refuses UPDATE and DELETE on a published table that has no replica identity ("cannot update table ... because it does not have a replica identity and publishes updates"): the application would start failing on the source.';

export const rule: SourceRule = {
  id: 'source.replica_identity',
  target: 'source',
  severity: 'error',
  title: 'every published table has a primary key or a usable replica identity',
  docs: {
    why: WHY,
    fix: 'Per table: REPLICA IDENTITY USING INDEX on a unique index over NOT NULL columns if there is one, else ADD PRIMARY KEY, or (heavier on every update and delete) REPLICA IDENTITY FULL.',
  },
  check: (f) => {
    const broken = f.tables.filter((t) => t.persistence === 'p' && t.kind === 'r' && !hasIdentity(t));
    if (!broken.length) return undefined;
    return error(`${plural(broken.length, 'published table')} without a primary key or usable replica identity: ${listed(broken.map((t) => qualified(t.schema, t.name)))}`, WHY, listed(broken.map(identityFix), '\n'));
  },
};
