import { quoteIdent } from '../../render/quote.js';
import { error, type SourceRule, type Verdict } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.replication_role',
  target: 'source',
  severity: 'error',
  title: "the tool's role and each subscription's role may replicate",
  docs: {
    why: "Creating the slots, exporting the snapshot anchor and streaming to a subscription all take a replication connection, which only a role with REPLICATION (or superuser, or rds_replication) may open. A subscription logs in as the user of its connection string, which must exist on the source.",
    fix: 'ALTER ROLE <role> REPLICATION; (on RDS: GRANT rds_replication TO <role>;), or fix the user in source.subscriber_dsn / nodes[].source_dsn.',
  },
  check: (f) => {
    const rds = f.settings.rds_logical_replication !== undefined;
    const out: Verdict[] = [];
    const missing = f.connecting_roles.filter((r) => !r.exists);
    const lacking = f.connecting_roles.filter((r) => r.exists && !r.can_replicate);
    if (lacking.length) {
      out.push(
        error(
          `${lacking.map((r) => `role ${r.name} (${r.uses.join(', ')})`).join('; ')} has neither REPLICATION nor ${rds ? 'rds_replication' : 'superuser'}`,
          'Creating the slots, exporting the snapshot anchor and streaming to a subscription all take a replication connection, which only such a role may open.',
          lacking.map((r) => (rds ? `GRANT rds_replication TO ${quoteIdent(r.name)};` : `ALTER ROLE ${quoteIdent(r.name)} REPLICATION;`)).join('\n'),
        ),
      );
    }
    if (missing.length) {
      out.push(
        error(
          `role ${missing.map((r) => r.name).join(', ')} (${missing.map((r) => r.uses.join(', ')).join('; ')}) does not exist on the source`,
          "A subscription logs in to the source as the user of its connection string; the node's stream would fail to connect.",
          `Create it on the source (CREATE ROLE ... LOGIN REPLICATION), or fix the user in source.subscriber_dsn / nodes[].source_dsn.`,
        ),
      );
    }
    return out;
  },
};
