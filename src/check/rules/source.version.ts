import { error, info, type SourceRule } from '../rule.js';

/** The anchor's CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') syntax is new in 15. */
export const MIN_SOURCE_MAJOR = 15;

export const rule: SourceRule = {
  id: 'source.version',
  target: 'source',
  severity: 'error',
  title: `the source runs PostgreSQL ${MIN_SOURCE_MAJOR} or later`,
  docs: {
    why: `The snapshot anchor is created with CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export'), which PostgreSQL accepts from ${MIN_SOURCE_MAJOR} on. The version is also reported: the nodes and pg_dump/pg_restore must be this major version or newer.`,
    fix: `Upgrade the source to PostgreSQL ${MIN_SOURCE_MAJOR} or later first (pg_upgrade), then migrate.`,
  },
  check: (f) =>
    f.version_num < MIN_SOURCE_MAJOR * 10000
      ? error(
          `PostgreSQL ${f.version}`,
          `The snapshot anchor is created with CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export'), which PostgreSQL accepts from ${MIN_SOURCE_MAJOR} on.`,
          `Upgrade the source to PostgreSQL ${MIN_SOURCE_MAJOR} or later first (pg_upgrade), then migrate.`,
        )
      : info(`PostgreSQL ${f.version}`, 'The nodes and pg_dump/pg_restore must be this major version or newer.'),
};
