// Generated from the files of this directory by `npm run gen:checks`. Do not edit.
import type { Rule } from '../rule.js';
import { rule as source_database_settings } from './source.database_settings.js';
import { rule as source_ddl } from './source.ddl.js';
import { rule as source_ddl_guard_privilege } from './source.ddl_guard_privilege.js';
import { rule as source_existing_publications } from './source.existing_publications.js';
import { rule as source_existing_slots } from './source.existing_slots.js';
import { rule as source_freeze_access } from './source.freeze_access.js';
import { rule as source_inactive_slots } from './source.inactive_slots.js';
import { rule as source_large_objects } from './source.large_objects.js';
import { rule as source_long_transactions } from './source.long_transactions.js';
import { rule as source_materialized_views } from './source.materialized_views.js';
import { rule as source_max_slot_wal_keep_size } from './source.max_slot_wal_keep_size.js';
import { rule as source_multimaster_keys } from './source.multimaster_keys.js';
import { rule as source_prepared_transactions } from './source.prepared_transactions.js';
import { rule as source_primary } from './source.primary.js';
import { rule as source_publication_privilege } from './source.publication_privilege.js';
import { rule as source_published_tables } from './source.published_tables.js';
import { rule as source_reachable } from './source.reachable.js';
import { rule as source_replica_identity } from './source.replica_identity.js';
import { rule as source_replication_role } from './source.replication_role.js';
import { rule as source_replication_slots } from './source.replication_slots.js';
import { rule as source_select_privilege } from './source.select_privilege.js';
import { rule as source_sequences } from './source.sequences.js';
import { rule as source_size } from './source.size.js';
import { rule as source_temporary_tables } from './source.temporary_tables.js';
import { rule as source_unlogged_tables } from './source.unlogged_tables.js';
import { rule as source_version } from './source.version.js';
import { rule as source_wal_level } from './source.wal_level.js';
import { rule as source_wal_senders } from './source.wal_senders.js';
import { rule as node_database_settings } from './node.database_settings.js';
import { rule as node_ddl_replication } from './node.ddl_replication.js';
import { rule as node_existing_objects } from './node.existing_objects.js';
import { rule as node_existing_subscription } from './node.existing_subscription.js';
import { rule as node_extensions } from './node.extensions.js';
import { rule as node_forward_origins } from './node.forward_origins.js';
import { rule as node_large_objects } from './node.large_objects.js';
import { rule as node_logical_replication_workers } from './node.logical_replication_workers.js';
import { rule as node_multimaster_settings } from './node.multimaster_settings.js';
import { rule as node_origin_ids } from './node.origin_ids.js';
import { rule as node_pglogical } from './node.pglogical.js';
import { rule as node_privileges } from './node.privileges.js';
import { rule as node_reachable } from './node.reachable.js';
import { rule as node_reaches_source } from './node.reaches_source.js';
import { rule as node_replication_origins } from './node.replication_origins.js';
import { rule as node_roles } from './node.roles.js';
import { rule as node_snowflake } from './node.snowflake.js';
import { rule as node_spock } from './node.spock.js';
import { rule as node_spock_subscriptions } from './node.spock_subscriptions.js';
import { rule as node_version } from './node.version.js';
import { rule as node_worker_processes } from './node.worker_processes.js';
import { rule as node_writable } from './node.writable.js';
import { rule as tools_dump_directory } from './tools.dump_directory.js';
import { rule as tools_dump_disk } from './tools.dump_disk.js';
import { rule as tools_pg_dump } from './tools.pg_dump.js';
import { rule as tools_pg_restore } from './tools.pg_restore.js';
import { rule as tools_vacuumdb } from './tools.vacuumdb.js';

/** Every rule: the source's, the nodes', the tools', each by id. */
export const RULES: readonly Rule[] = [
  source_database_settings,
  source_ddl,
  source_ddl_guard_privilege,
  source_existing_publications,
  source_existing_slots,
  source_freeze_access,
  source_inactive_slots,
  source_large_objects,
  source_long_transactions,
  source_materialized_views,
  source_max_slot_wal_keep_size,
  source_multimaster_keys,
  source_prepared_transactions,
  source_primary,
  source_publication_privilege,
  source_published_tables,
  source_reachable,
  source_replica_identity,
  source_replication_role,
  source_replication_slots,
  source_select_privilege,
  source_sequences,
  source_size,
  source_temporary_tables,
  source_unlogged_tables,
  source_version,
  source_wal_level,
  source_wal_senders,
  node_database_settings,
  node_ddl_replication,
  node_existing_objects,
  node_existing_subscription,
  node_extensions,
  node_forward_origins,
  node_large_objects,
  node_logical_replication_workers,
  node_multimaster_settings,
  node_origin_ids,
  node_pglogical,
  node_privileges,
  node_reachable,
  node_reaches_source,
  node_replication_origins,
  node_roles,
  node_snowflake,
  node_spock,
  node_spock_subscriptions,
  node_version,
  node_worker_processes,
  node_writable,
  tools_dump_directory,
  tools_dump_disk,
  tools_pg_dump,
  tools_pg_restore,
  tools_vacuumdb,
];
