import { quoteIdent } from '../../render/quote.js';
import { guardMode } from '../../render/ddl-guard.js';
import { warning, type SourceRule } from '../rule.js';

const WHY =
  "ddl.guard installs event triggers on the source, and PostgreSQL lets only a superuser create one (on RDS and Aurora, a member of rds_superuser). Without it apply goes on with the guard off and says so: DDL run on the source by hand is then neither recorded nor refused, and only drift detection (status, verify) notices it.";

export const rule: SourceRule = {
  id: 'source.ddl_guard_privilege',
  target: 'source',
  severity: 'warning',
  title: "the tool's role may create the DDL guard's event triggers (ddl.guard)",
  docs: { why: WHY, fix: 'Run apply as a superuser (on RDS and Aurora: the master user, a member of rds_superuser), or set ddl.guard: off and rely on drift detection.' },
  check: (f, { plan }) => {
    const mode = guardMode(plan);
    if (!mode || f.role.superuser || f.role.memberships.includes('rds_superuser')) return undefined;
    const rds = f.settings.rds_logical_replication !== undefined;
    return warning(
      `role ${f.user} is not a superuser${rds ? ' or a member of rds_superuser' : ''}: it may not create event triggers, so the DDL guard (ddl.guard: ${mode}) will be off`,
      WHY,
      rds ? `Run apply as the master user (a member of rds_superuser), or: GRANT rds_superuser TO ${quoteIdent(f.user)};` : `Run apply as a superuser, or set ddl.guard: off in the plan.`,
    );
  },
};
