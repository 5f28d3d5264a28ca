/* Generated from schemas/plan.schema.json by `npm run gen:types`. Do not edit. */

/**
 * A PostgreSQL identifier, used as written (quoted when rendered).
 */
export type Identifier = string;

/**
 * A pgedge-migrate migration plan: a live PostgreSQL source copied onto target nodes through one snapshot-exact dump and one logical replication stream per node.
 */
export interface Plan {
  /**
   * Plan format version. Only 1 exists.
   */
  version: 1;
  /**
   * The migration's name: names its state directory and its lock. Lower case letters, digits, '-' and '_'.
   */
  name: string;
  /**
   * Where the journal, the lock and the run reports live, relative to the plan file. Default: .migrate/<name> beside the plan. Keep it between runs: it is how a rerun resumes.
   */
  state_dir?: string;
  /**
   * The database being migrated.
   */
  source: {
    /**
     * How the tool connects to the source: a libpq URI or key=value string. Put the password in ${ENV}, .pgpass or PGPASSWORD, never in the plan.
     */
    dsn: string;
    /**
     * How the nodes reach the source (the subscriptions' CONNECTION, used from the node's network). Default: dsn. A node's own source_dsn wins over it.
     */
    subscriber_dsn?: string;
    /**
     * How long creating a slot may wait for open write transactions on the source before giving up and naming them.
     */
    lock_timeout_seconds?: number;
  };
  /**
   * The target nodes. Each receives the one dump and a subscription of its own.
   *
   * @minItems 1
   */
  nodes: [Node, ...Node[]];
  /**
   * One publication, slot and subscription per node.
   *
   * @minItems 1
   */
  replication: [ReplicationSet, ...ReplicationSet[]];
  publish?: Publish;
  /**
   * The one pg_dump of the source, taken at the snapshot anchor.
   */
  dump?: {
    /**
     * pg_dump -j: parallel workers.
     */
    jobs?: number;
    /**
     * Where the directory-format dump is written, relative to the plan file. Default: <state_dir>/dump.
     */
    directory?: string;
    /**
     * pg_dump --compress level (0 = none, fastest on a fast network).
     */
    compress?: number;
  };
  /**
   * How the initial copy reaches the nodes, always at the snapshot anchor.
   */
  copy?: {
    /**
     * dump: one pg_dump -Fd of the whole source to the runner's disk, then pg_restore onto every node. stream: only the schema is dumped (a few kB); each table is read once with COPY TO STDOUT and written into every node at once with COPY FROM STDIN, so the data never touches the runner's disk; indexes and constraints are built afterwards with pg_restore -j. stream is the default: it passes every test dump passes (PostgreSQL and pgEdge nodes), is faster in every benchmark and needs no free disk the size of the data; dump stays for a runner that should hold a copy of the data, or a source on which stream's many COPY sessions are unwelcome.
     */
    method?: 'dump' | 'stream';
    /**
     * stream: tables copied at a time (each one source connection and one connection per node).
     */
    jobs?: number;
    /**
     * stream: a table larger than this (MB, pg_relation_size on the source) is split into ctid ranges (TID range scans), read in parallel by the jobs under the same snapshot, each range written into every node at once; as many ranges as copy.jobs, or a multiple of it so that none is larger than this. Ranges cannot use COPY FREEZE (several sessions write into the table at once): below this a table goes whole and frozen. 0: never split.
     */
    split_above_mb?: number;
    /**
     * stream: COPY in binary format where both sides allow it (the node has the source's major version and every column copied is of a built-in type with a binary form), text otherwise. false: always text.
     */
    binary?: boolean;
  };
  /**
   * pg_restore of the dump onto every node, all nodes at once.
   */
  restore?: {
    /**
     * pg_restore -j per node.
     */
    jobs?: number;
    /**
     * pg_restore --no-owner: objects belong to the restoring role (use when the source's roles do not exist on the nodes).
     */
    no_owner?: boolean;
    /**
     * pg_restore --no-privileges: skip GRANT/REVOKE.
     */
    no_privileges?: boolean;
  };
  /**
   * Where the PostgreSQL client programs are.
   */
  tools?: {
    /**
     * Directory holding pg_dump, pg_restore and vacuumdb, relative to the plan file. Default: found on PATH. Their major version must not be older than the source's.
     */
    bin_dir?: string;
  };
  /**
   * When apply considers the nodes caught up.
   */
  catch_up?: {
    /**
     * Catch-up succeeds once every node is at most this many bytes of WAL behind the source position read when catch-up began.
     */
    max_lag_bytes?: number;
    /**
     * Give up after this long: the run fails, the slots keep every change for the nodes, and apply run again waits once more.
     */
    timeout_seconds?: number;
  };
  cutover?: Cutover;
  /**
   * `migrate compare`: read-query latency on the source and every node, side by side, before the cutover. Every session it opens is read-only.
   */
  compare?: {
    /**
     * A YAML file of named read queries with parameter generators, relative to the plan file (format: schemas/compare-queries.schema.json). Without it, `migrate compare --from-stats N` takes the source's top statements from pg_stat_statements.
     */
    queries?: string;
    /**
     * A query is slower on a node when its p95 there is more than this many times the source's (and at least min_difference_ms more); compare then exits 1.
     */
    max_slowdown?: number;
    /**
     * Differences of p95 smaller than this are `same` whatever their ratio: timer noise on sub-millisecond queries is not a regression.
     */
    min_difference_ms?: number;
    /**
     * How long the measured run lasts (after the warm-up), unless count is given.
     */
    duration_seconds?: number;
    /**
     * Instead of a duration: run each query this many times on each target (still stopped at duration_seconds x 10 at most).
     */
    count?: number;
    /**
     * Queries run this long first, unmeasured, so that caches and plans are warm on every target alike.
     */
    warmup_seconds?: number;
    /**
     * Sessions per target, the same on the source and every node. Kept small: compare runs against production.
     */
    concurrency?: number;
    /**
     * Fixed rate: queries per second per target, spread over the sessions. Latency is then measured from each query's scheduled start (no coordinated omission). Without it, each session runs its next query as soon as the last one returns.
     */
    rate?: number;
    /**
     * statement_timeout of every compare session: a query over it counts as an error.
     */
    statement_timeout_seconds?: number;
  };
  /**
   * Commands or SQL run before or after a task or a phase.
   */
  hooks?: Hook[];
  rollback?: Rollback;
  /**
   * Schema changes on the source during the migration window.
   */
  ddl?: {
    /**
     * An event trigger on the source, installed by apply after the dump and removed by cutover and abort. warn: every DDL statement run outside `migrate ddl` is recorded (pgedge_migrate.ddl_log); status shows it and cutover refuses until it is brought to the nodes (migrate ddl PLAN --recorded ID). block: such statements are refused. off: nothing is installed. Needs a role that may create event triggers (a superuser; rds_superuser on RDS and Aurora); without one apply warns and runs with the guard off.
     */
    guard?: 'off' | 'warn' | 'block';
  };
}
export interface Node {
  /**
   * The node's name in this plan (n1, n2...).
   */
  name: string;
  /**
   * How the tool connects to the node's target database.
   */
  dsn: string;
  /**
   * postgres: a plain PostgreSQL target. pgedge: a pgEdge node running Spock (tables are added to its replication set before the stream starts). pglogical: a pglogical node, Spock's ancestor, with the equivalent steps.
   */
  kind?: 'postgres' | 'pgedge' | 'pglogical';
  /**
   * How this node reaches the source, when it differs from source.subscriber_dsn and source.dsn.
   */
  source_dsn?: string;
  /**
   * pgedge/pglogical: the replication set the restored tables join.
   */
  replication_set?: string;
}
export interface ReplicationSet {
  /**
   * The node (nodes[].name) this set streams to.
   */
  node: string;
  /**
   * Publication created on the source.
   */
  publication: string;
  /**
   * Logical replication slot created on the source: lower case letters, digits and underscores.
   */
  slot: string;
  /**
   * Subscription created on the node.
   */
  subscription: string;
}
/**
 * What the publications carry and the dump holds. Default: every table (FOR ALL TABLES, whole-database dump). Give schemas or tables to narrow both.
 */
export interface Publish {
  /**
   * Publish FOR TABLES IN SCHEMA these, and dump only these schemas.
   *
   * @minItems 1
   */
  schemas?: [Identifier, ...Identifier[]];
  /**
   * Publish FOR TABLE these (schema.table), and dump only them.
   *
   * @minItems 1
   */
  tables?: [string, ...string[]];
}
/**
 * How migrate cutover switches writes to the nodes.
 */
export interface Cutover {
  /**
   * Refuse to start the cutover while any node is further behind than this.
   */
  max_lag_bytes?: number;
  /**
   * How writes are stopped on the source. builtin: the database is set default_transaction_read_only and every other session of it is ended. hook: only the freeze hook (for example PgBouncer PAUSE). both: hook first, then builtin.
   */
  freeze?: 'builtin' | 'hook' | 'both';
  freeze_hook?: Action;
  unfreeze_hook?: Action1;
  switch_hook?: Action2;
  /**
   * How long the nodes may take to apply the frozen position before the cutover is called off and the source unfrozen.
   */
  timeout_seconds?: number;
  /**
   * counts: row counts per table on every node against the frozen source. full: the whole verify.
   */
  check?: 'counts' | 'full';
  /**
   * Run vacuumdb -Z on every node after the switch.
   */
  vacuum?: boolean;
  sequences?: {
    /**
     * copy: each node's sequences set to the source's value plus gap (single-writer targets only). interleave: every node gets its own offset and a common INCREMENT BY, past the source's value. snowflake: pgEdge's snowflake extension converts them.
     */
    strategy?: 'copy' | 'interleave' | 'snowflake';
    /**
     * Values skipped past the source's last value, as a safety margin.
     */
    gap?: number;
    /**
     * Accept strategy copy with more than one writable node (they will hand out the same values).
     */
    allow_copy_on_multi_master?: boolean;
  };
  /**
   * A way back after the switch (migrate rollback): a reverse stream from one node to the source, set up at the switch with no copy, kept until migrate rollback or migrate finalize.
   */
  fallback?: {
    /**
     * Set up the reverse stream at the switch.
     */
    enabled?: boolean;
    /**
     * The node that publishes to the source. Default: the first node.
     */
    node?: string;
    /**
     * migrate status warns loudly once the reverse stream's slot has held WAL on the node this long (an abandoned fallback fills the node's disk).
     */
    warn_after_hours?: number;
  };
}
/**
 * Runs to freeze writes (freeze: hook or both).
 */
export interface Action {
  /**
   * Shell command, run by /bin/sh in the plan's directory.
   */
  run?: string;
  /**
   * SQL, run as one simple query.
   */
  sql?: string;
  /**
   * Where sql runs: source, nodes (each node), or a node's name. Default: source.
   */
  on?: string;
  timeout_seconds?: number;
}
/**
 * Undoes freeze_hook on every failure path and in migrate abort.
 */
export interface Action1 {
  /**
   * Shell command, run by /bin/sh in the plan's directory.
   */
  run?: string;
  /**
   * SQL, run as one simple query.
   */
  sql?: string;
  /**
   * Where sql runs: source, nodes (each node), or a node's name. Default: source.
   */
  on?: string;
  timeout_seconds?: number;
}
/**
 * Redirects the application to the nodes (DNS, pooler, configuration). After it succeeds, writes may go to the nodes.
 */
export interface Action2 {
  /**
   * Shell command, run by /bin/sh in the plan's directory.
   */
  run?: string;
  /**
   * SQL, run as one simple query.
   */
  sql?: string;
  /**
   * Where sql runs: source, nodes (each node), or a node's name. Default: source.
   */
  on?: string;
  timeout_seconds?: number;
}
/**
 * An action attached before or after a task (publication:n1, dump, restore:n2, catch-up... as `migrate plan` lists them), a phase (prepare, snapshot, restore, subscribe, catch-up; ready, freeze, drain, sequences, check, switch, cleanup) or a whole stage (apply, cutover). Hooks on the same side of the same target run in the order written. Exactly one of before and after, and exactly one of run and sql.
 */
export interface Hook {
  /**
   * A label for reports and the runbook.
   */
  name?: string;
  /**
   * Task id or phase this runs before.
   */
  before?: string;
  /**
   * Task id or phase this runs after.
   */
  after?: string;
  /**
   * Shell command, run by /bin/sh in the plan's directory.
   */
  run?: string;
  /**
   * SQL, run as one simple query.
   */
  sql?: string;
  /**
   * Where sql runs: source, nodes (each node), or a node's name. Default: source.
   */
  on?: string;
  timeout_seconds?: number;
  /**
   * A failing hook is reported as a warning instead of failing the run.
   */
  continue_on_error?: boolean;
}
/**
 * How migrate rollback switches writes back to the source (needs cutover.fallback.enabled).
 */
export interface Rollback {
  switch_hook?: Action3;
  /**
   * How long the source may take to apply the nodes' frozen position before the rollback is called off and the nodes unfrozen.
   */
  timeout_seconds?: number;
}
/**
 * Redirects the application back to the source. After it succeeds, the source is made writable.
 */
export interface Action3 {
  /**
   * Shell command, run by /bin/sh in the plan's directory.
   */
  run?: string;
  /**
   * SQL, run as one simple query.
   */
  sql?: string;
  /**
   * Where sql runs: source, nodes (each node), or a node's name. Default: source.
   */
  on?: string;
  timeout_seconds?: number;
}
