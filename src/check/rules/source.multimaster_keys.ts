import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { qualified, sq, type PublishedTable } from '../context.js';
import { warning, type SourceRule } from '../rule.js';

const WHY = 'Spock (and pglogical) find the row an UPDATE or DELETE touches on the other nodes by its primary key; after the switch, such changes to these tables do not replicate between the nodes.';

function keyFix(t: PublishedTable): string {
  const table = sq(t.schema, t.name);
  if (t.has_pk) return `ALTER TABLE ${table} REPLICA IDENTITY DEFAULT;`;
  if (t.candidate_index) return `ALTER TABLE ${table} ADD PRIMARY KEY USING INDEX ${quoteIdent(t.candidate_index)};`;
  return `ALTER TABLE ${table} ADD PRIMARY KEY (<columns>);`;
}

export const rule: SourceRule = {
  id: 'source.multimaster_keys',
  target: 'source',
  severity: 'warning',
  title: 'with pgEdge or pglogical nodes, every table has a primary key and no REPLICA IDENTITY FULL',
  docs: { why: WHY, fix: 'ALTER TABLE ... ADD PRIMARY KEY (USING INDEX a unique one if there is one), or REPLICA IDENTITY DEFAULT where a key exists.' },
  check: (f, { plan }) => {
    const multimaster = plan.nodes.filter((n) => n.kind !== 'postgres').map((n) => n.name);
    if (!multimaster.length) return undefined;
    const weak = f.tables.filter((t) => t.persistence === 'p' && t.kind === 'r' && (!t.has_pk || t.replident === 'f'));
    if (!weak.length) return undefined;
    return warning(
      `${plural(weak.length, 'table')} without a primary key or with REPLICA IDENTITY FULL, and ${multimaster.join(', ')} ${multimaster.length === 1 ? 'is a pgEdge/pglogical node' : 'are pgEdge/pglogical nodes'}: ${listed(weak.map((t) => `${qualified(t.schema, t.name)} (${t.has_pk ? 'REPLICA IDENTITY FULL' : 'no primary key'})`))}`,
      WHY,
      listed(weak.map(keyFix), '\n'),
    );
  },
};
