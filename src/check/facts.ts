// What the rules judge: plain objects, read from the catalogs (src/check/read/)
// before any rule runs. A rule is a pure function of these and the plan, so it
// is tested on objects written by hand (test/unit/check-rules/).
//
// A fact whose query failed is not missing: reading it throws that query's
// error (see read/read-facts.ts), and the rule that needs it reports "could
// not be checked" instead of judging a default.
import type { Node } from '../plan/plan.js';
import type { RelKind, SourceFacts } from './context.js';
import type { NotWritable } from '../pg/node-writable.js';
import type { MaintenanceRefusal } from '../pg/connect.js';
import type { ExistingOwner } from './run-owner.js';

export type { SourceFacts, PublishedTable, RelKind } from './context.js';

/** Transactions holding an xid for longer than this are named: slot creation waits for each to end. */
export const LONG_TRANSACTION_SECONDS = 60;

export interface SourceSettings {
  wal_level: string;
  max_replication_slots: number;
  max_wal_senders: number;
  /** In MB; -1 is no limit. Undefined before PostgreSQL 13. */
  max_slot_wal_keep_size: number | undefined;
  /** Present only on RDS and Aurora, where it stands for wal_level. */
  rds_logical_replication: string | undefined;
}

/** The role of source.dsn. */
export interface SourceRole {
  superuser: boolean;
  replication: boolean;
  /** Of rds_superuser, rds_replication, pg_read_all_data, pg_read_all_stats, pg_monitor. */
  memberships: string[];
}

/** What the first round of queries finds: enough to know at once whether the source is usable. */
export interface SourceSummary extends SourceFacts {
  standby: boolean;
  settings: SourceSettings;
  role: SourceRole;
}

/** A slot the plan names that already exists on the source. */
export interface PlanSlot {
  slot_name: string;
  slot_type: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  /** Bytes of WAL it holds (from restart_lsn), as text. */
  retained: string | null;
  wal_status: string | null;
}

export interface InactiveSlot {
  slot_name: string;
  slot_type: string;
  database: string | null;
  retained: string | null;
}

/** A role that will connect to the source: the tool's, and each subscription's. */
export interface ConnectingRole {
  name: string;
  /** 'source.dsn', 'subscription sub_1', ... */
  uses: string[];
  exists: boolean;
  can_replicate: boolean;
}

export interface LongTransaction {
  pid: number;
  usename: string | null;
  datname: string | null;
  application_name: string | null;
  state: string | null;
  age: number;
}

export interface PreparedTransaction {
  gid: string;
  owner: string;
  database: string;
  age: number;
}

/** A publication the plan names that exists, and whose run it is (by its comment, as apply's ownership guard reads it). */
export interface PlanPublication {
  name: string;
  owner: ExistingOwner;
}

/** What the builtin freeze needs of the source role: a session on another database of the server, and ALTER DATABASE on its own. */
export interface FreezeAccess {
  /** The database the session opened on (postgres, else template1); undefined when neither took it. */
  via: string | undefined;
  /** Why each database tried before it (or both) refused. */
  refused: MaintenanceRefusal[];
  /** The source database's owner, and whether the role has its privileges (what ALTER DATABASE asks). */
  owner: string;
  may_alter: boolean;
  /** Whether the role sees other roles' sessions in pg_stat_activity (pg_read_all_stats) and may end them (pg_signal_backend): see pg/write-freeze.ts. */
  may_see_sessions: boolean;
  may_signal: boolean;
  /** The tool's address as the source sees it (null: a Unix socket), for a pg_hba.conf line. */
  client_addr: string | null;
}

/** Everything the source rules judge. */
export interface SourceCatalog extends SourceSummary {
  /** Every slot on the server, of any database. */
  slots_in_use: number;
  plan_slots: PlanSlot[];
  inactive_slots: InactiveSlot[];
  wal_senders_in_use: number;
  connecting_roles: ConnectingRole[];
  can_create_in_database: boolean;
  /** Sequences the dump holds that the role may not read. */
  unreadable_sequences: { schema: string; name: string }[];
  /** Sequences the dump holds. */
  sequences: number;
  /** Of publish.schemas, those that exist. */
  present_schemas: string[];
  temporary_tables: number;
  large_objects: number;
  /** Publications the plan names that already exist. */
  plan_publications: PlanPublication[];
  long_transactions: LongTransaction[];
  prepared_transactions: PreparedTransaction[];
  /** Undefined under cutover.freeze: hook, where the tool closes nothing. */
  freeze_access: FreezeAccess | undefined;
  /** WAL written while the checks ran: the source's write rate now. */
  wal_rate: { bytes: number; seconds: number };
}

export type NodeTarget = Node & { kind: string; replication_set: string };

export interface NodeSettings {
  max_logical_replication_workers: number;
  max_worker_processes: number;
  max_replication_slots: number;
  shared_preload_libraries: string;
  track_commit_timestamp: string;
}

/** Spock on a pgedge node, pglogical on a pglogical node. */
export interface MultimasterFacts {
  extension: 'spock' | 'pglogical';
  /** The schema the extension is created in; undefined when it is not created in this database. */
  schema: string | undefined;
  /** Whether the server has the extension's files. */
  available: boolean;
  local_node: boolean;
  /** Whether nodes[].replication_set exists. */
  replication_set: boolean;
  /** The node-to-node subscriptions. */
  subscriptions: { sub_name: string; origins: string[] | null }[];
}

/** What only a pgedge node has to say: Spock's DDL replication, its mesh, origin ids, Snowflake. */
export interface PgedgeFacts {
  /** The server's settings as an ordinary session sees them (the migration's own sessions turn the first three off). */
  ddl: { enable_ddl_replication: string | null; include_ddl_repset: string | null; allow_ddl_from_functions: string | null; deny_all_ddl: string | null };
  /** Spock's own view of the node-to-node subscriptions (spock.sub_show_status); [] without Spock. */
  spock_status: { name: string; status: string; provider: string }[];
  /** The id the subscription's replication origin gets (or has, when it exists), and every Spock node id this node knows. */
  origin: { id: number | undefined; existing: boolean; spock_nodes: { id: number; name: string }[] };
  /** Snowflake, read only under cutover.sequences.strategy snowflake. */
  snowflake: SnowflakeFacts | undefined;
}

export interface SnowflakeFacts {
  created: boolean;
  available: boolean;
  /** snowflake.node as the server has it (null: not set). */
  node: string | null;
  /** The other pgedge nodes' snowflake.node, read from them; error when one could not be read. */
  peers: { name: string; node: string | null; error?: string }[];
}

/** Whether the node opened its subscription's connection to the source (through dblink). */
export type ReachFacts = { tested: false; why: 'no_dblink' } | { tested: true; error?: { code?: string; text: string } };

/** Everything the node rules judge, for one node. */
export interface NodeFacts {
  node: NodeTarget;
  /** The plan's subscription for this node. */
  subscription_name: string;
  /** What the source said; undefined when it could not be read. */
  source: SourceFacts | undefined;
  version_num: number;
  version: string;
  role: { user: string; superuser: boolean; privileged: boolean; can_subscribe: boolean };
  settings: NodeSettings;
  /** Relations and schemas of the source's restore that the node already has (none read without the source). */
  existing_relations: { schema: string; name: string; kind: RelKind }[];
  existing_schemas: string[];
  /** The plan's subscription, if it exists in this database, and whose run it is (by its comment). */
  subscription: { enabled: boolean; owner: ExistingOwner } | undefined;
  /** Of the roles the restore names, those the node has. */
  present_roles: string[];
  /** Of the source's extensions, those the node's server has, and their version created here (null: not created). */
  available_extensions: { name: string; installed_version: string | null }[];
  /** Enabled subscriptions in any database of the server. */
  enabled_subscriptions: number;
  background_workers: number;
  replication_origins: number;
  /** For pgedge and pglogical nodes. */
  multimaster: MultimasterFacts | undefined;
  /** For pgedge nodes. */
  pgedge: PgedgeFacts | undefined;
  reach: ReachFacts;
  /** Why the node cannot take writes (a hot standby, sessions that start read-only); undefined when it can. */
  writable: NotWritable | undefined;
  /** Of the roles the source's database settings name, those the node has. */
  setting_roles: string[];
  /** Large objects already in the node's database. */
  large_objects: number;
}

export interface ToolVersion {
  path: string;
  /** What --version printed, or why it could not run. */
  text: string;
  found: boolean;
  major?: number;
}

/** Everything the tool rules judge: this machine's client programs and disk. */
export interface ToolFacts {
  source: SourceFacts | undefined;
  pg_dump: ToolVersion;
  pg_restore: ToolVersion;
  /** Read only when the cutover runs it (cutover.vacuum). */
  vacuumdb: ToolVersion | undefined;
  /** The dump directory as shown, and the free bytes of the filesystem it is (or will be) on. */
  dump_disk: { dir: string; free: number };
  /** The dump directory, and why pg_dump could not write there (undefined: it can). */
  dump_directory: { dir: string; problem: { found: string; fix: string } | undefined };
}
