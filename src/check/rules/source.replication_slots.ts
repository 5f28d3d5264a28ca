import { error, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.replication_slots',
  target: 'source',
  severity: 'error',
  title: 'max_replication_slots leaves a slot for each node and the anchor',
  docs: {
    why: "Each node's stream needs its own slot, and the snapshot anchor a temporary one while the dump runs. Slots the plan already created (a resumed apply) are counted as in use.",
    fix: 'ALTER SYSTEM SET max_replication_slots = <in use + needed>; then restart PostgreSQL (on RDS: the parameter group, then reboot).',
  },
  check: (f, { plan }) => {
    const planSlots = plan.replication.length;
    const existing = f.plan_slots.length;
    const used = f.slots_in_use;
    const max = f.settings.max_replication_slots;
    const needed = planSlots - existing + 1;
    if (max - used >= needed) return undefined;
    return error(
      `max_replication_slots is ${max} and ${used} in use: ${max - used} free, the plan needs ${needed}`,
      `Each node's stream needs its own slot, and the snapshot anchor a temporary one while the dump runs (${planSlots - existing} + 1).`,
      f.settings.rds_logical_replication !== undefined
        ? `Raise max_replication_slots to at least ${used + needed} in the parameter group, then reboot.`
        : `ALTER SYSTEM SET max_replication_slots = ${used + needed};  then restart PostgreSQL.`,
    );
  },
};
