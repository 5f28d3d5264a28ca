import { quoteIdent } from '../../render/quote.js';
import { majorOf } from '../session.js';
import { error, warning, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.privileges',
  target: 'node',
  severity: 'error',
  title: "the tool's role on the node may create the subscription and advance its origin",
  docs: {
    why: 'CREATE SUBSCRIPTION needs a superuser (from PostgreSQL 16 also pg_create_subscription), and moving its origin to the snapshot anchor (pg_replication_origin_advance) a superuser or an explicit grant.',
    fix: 'Connect to the node as a superuser in nodes[].dsn (on RDS: the master user), or GRANT EXECUTE ON FUNCTION pg_replication_origin_advance(text, pg_lsn) to a member of pg_create_subscription.',
  },
  check: ({ role, version_num: v }) => {
    if (role.superuser || role.privileged) return undefined;
    if (v >= 160000 && role.can_subscribe) {
      return warning(
        `role ${role.user} is not a superuser (it is a member of pg_create_subscription)`,
        "It may create the subscription, but moving the subscription's origin to the snapshot anchor (pg_replication_origin_advance) needs a superuser or an explicit grant.",
        `As a superuser on the node: GRANT EXECUTE ON FUNCTION pg_replication_origin_advance(text, pg_lsn) TO ${quoteIdent(role.user)};`,
      );
    }
    return error(
      `role ${role.user} is not a superuser`,
      `CREATE SUBSCRIPTION needs a superuser on PostgreSQL ${majorOf(v)}${v >= 160000 ? ' (or pg_create_subscription)' : ''}, and moving its origin to the snapshot anchor (pg_replication_origin_advance) a superuser or an explicit grant.`,
      `Connect to the node as a superuser in nodes[].dsn (on RDS: the master user), or ALTER ROLE ${quoteIdent(role.user)} SUPERUSER;`,
    );
  },
};
