import { error, type SourceRule } from '../rule.js';

const WHY = 'Logical decoding needs wal_level = logical: without it no slot can be created ("logical decoding requires wal_level >= logical").';

export const rule: SourceRule = {
  id: 'source.wal_level',
  target: 'source',
  severity: 'error',
  title: 'wal_level is logical',
  docs: {
    why: WHY,
    fix: 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (a reload is not enough). On RDS or Aurora: rds.logical_replication = 1 in the parameter group, then reboot.',
  },
  check: ({ settings }) => {
    const level = settings.wal_level;
    if (level === 'logical') return undefined;
    if (settings.rds_logical_replication !== undefined) {
      return error(
        `wal_level is ${level}; rds.logical_replication is ${settings.rds_logical_replication}`,
        WHY,
        "Set rds.logical_replication = 1 in the instance's DB parameter group (Aurora: the DB cluster parameter group), then reboot the writer; wal_level becomes logical.",
      );
    }
    return error(
      `wal_level is ${level}`,
      WHY,
      'ALTER SYSTEM SET wal_level = logical;  then restart PostgreSQL (a reload is not enough). On RDS or Aurora: rds.logical_replication = 1 in the parameter group, then reboot.',
    );
  },
};
