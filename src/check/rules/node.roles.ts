import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { error, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.roles',
  target: 'node',
  severity: 'error',
  title: 'every role the dump names as owner or grantee exists on the node',
  docs: {
    why: 'pg_dump does not carry roles: the restore runs ALTER ... OWNER TO and GRANT for them, and stops at the first one missing.',
    fix: 'Create them on the node first (pg_dumpall --roles-only from the source shows their definitions), or restore without them: restore.no_owner and restore.no_privileges in the plan.',
  },
  check: (f, ctx) => {
    if (!f.source || !f.source.roles.length || ctx.started.has(`restore:${f.node.name}`)) return undefined;
    const missing = f.source.roles.filter((x) => !f.present_roles.includes(x));
    if (!missing.length) return undefined;
    const { no_owner, no_privileges } = ctx.plan.restore;
    const flags = [!no_owner ? 'restore.no_owner: true' : '', !no_privileges ? 'restore.no_privileges: true' : ''].filter(Boolean).join(' and ');
    return error(
      `${plural(missing.length, 'role')} the dump names as owner or grantee ${missing.length === 1 ? 'does' : 'do'} not exist: ${listed(missing)}`,
      rule.docs.why,
      `Create them on ${f.node.name} first (pg_dumpall --roles-only from the source shows their definitions): ${listed(missing.map((x) => `CREATE ROLE ${quoteIdent(x)};`), ' ')}\nor restore without them: ${flags} in the plan.`,
    );
  },
};
