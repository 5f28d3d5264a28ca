import { listed, plural } from '../finding.js';
import { qualified, sq } from '../context.js';
import { warning, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.materialized_views',
  target: 'source',
  severity: 'warning',
  title: 'materialized views, which stay as of the snapshot, are named',
  docs: {
    why: 'Materialized views are restored with the contents of the dump and are not replicated; on the nodes they stay as of the snapshot until refreshed.',
    fix: 'On each node, before the switch: REFRESH MATERIALIZED VIEW ...;',
  },
  check: (f) => {
    const mv = f.relations.filter((r) => r.kind === 'm');
    if (!mv.length) return undefined;
    return warning(
      `${plural(mv.length, 'materialized view')}: ${listed(mv.map((m) => qualified(m.schema, m.name)))}`,
      'Materialized views are restored with the contents of the dump and are not replicated; on the nodes they stay as of the snapshot until refreshed.',
      `On each node, before the switch: ${listed(mv.map((m) => `REFRESH MATERIALIZED VIEW ${sq(m.schema, m.name)};`), ' ')}`,
    );
  },
};
