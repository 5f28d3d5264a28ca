import { error, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.wal_senders',
  target: 'source',
  severity: 'error',
  title: 'max_wal_senders leaves a sender for each subscription and the anchor',
  docs: {
    why: "Each subscription streams through its own WAL sender, and the snapshot anchor holds one for the whole dump. A resumed migration's streams already have theirs.",
    fix: 'ALTER SYSTEM SET max_wal_senders = <in use + needed>; then restart PostgreSQL (on RDS: the parameter group, then reboot).',
  },
  check: (f, { plan }) => {
    const used = f.wal_senders_in_use;
    // A resumed migration's streams already have their senders (counted in used).
    const streaming = f.plan_slots.filter((s) => s.active).length;
    const max = f.settings.max_wal_senders;
    const needed = plan.replication.length - streaming + 1;
    if (max - used >= needed) return undefined;
    return error(
      `max_wal_senders is ${max} and ${used} in use: ${max - used} free, the plan needs ${needed}`,
      `Each subscription streams through its own WAL sender, and the snapshot anchor holds one for the whole dump (${plan.replication.length - streaming} + 1).`,
      f.settings.rds_logical_replication !== undefined
        ? `Raise max_wal_senders to at least ${used + needed} in the parameter group, then reboot.`
        : `ALTER SYSTEM SET max_wal_senders = ${used + needed};  then restart PostgreSQL.`,
    );
  },
};
