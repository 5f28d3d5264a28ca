// Plain fact objects for the rule tests: a clean baseline of each kind, which
// a test changes one field of. No database: the rules are pure.
import type { CheckContext } from '../../../src/check/context.js';
import type { NodeFacts, PublishedTable, SourceCatalog, SourceFacts, ToolFacts } from '../../../src/check/facts.js';
import type { Finding } from '../../../src/check/finding.js';
import { judge } from '../../../src/check/judge.js';
import type { RuleResult } from '../../../src/check/rule.js';
import { RULES } from '../../../src/check/registry.js';
import { planFromText } from '../support.js';

/** The mark another run left on its objects (src/pg/run-marks.ts). */
export const OTHER_RUN = { tool: 'pgedge-migrate', plan: 'rules', run: '8c1e2f0a', host: 'db-admin-2', state_dir: '/srv/migrate/state', started_at: '2026-11-30T10:00:00.000Z' } as const;

export const PLAN = `version: 1
name: rules
source:
  dsn: host=source.example.com dbname=app user=migrator
nodes:
  - name: n1
    dsn: host=n1.example.com dbname=app
replication:
  - node: n1
    publication: pub_1
    slot: slot_1
    subscription: sub_1
`;

/** A context for the plan text (PLAN by default, or with `extra` appended), and the apply tasks already started. */
export function context(extra = '', started: string[] = [], text = PLAN): CheckContext {
  const plan = planFromText(text + extra, {});
  return { loaded: { file: 'plan.yaml', dir: '.', plan, warnings: [] }, plan, stateDir: '.migrate/rules', started: new Set(started) };
}

/** The same plan with n1 of another kind (pgedge, pglogical). */
export function contextOfKind(kind: string, extra = ''): CheckContext {
  return context(extra, [], PLAN.replace('    dsn: host=n1.example.com dbname=app\n', `    dsn: host=n1.example.com dbname=app\n    kind: ${kind}\n`));
}

export function table(over: Partial<PublishedTable> = {}): PublishedTable {
  return { schema: 'public', name: 'accounts', kind: 'r', persistence: 'p', replident: 'd', has_pk: true, has_identity_index: false, candidate_index: null, can_select: true, owned: true, ...over };
}

export function summary(over: Partial<SourceFacts> = {}): SourceFacts {
  return {
    version_num: 150018,
    version: '15.18',
    major: 15,
    user: 'migrator',
    database: 'app',
    database_size: 10 * 1024 * 1024,
    published_size: 8 * 1024 * 1024,
    tables: [table()],
    relations: [{ schema: 'public', name: 'accounts', kind: 'r' }],
    schemas: [],
    extensions: [],
    roles: [],
    database_settings: [],
    ...over,
  };
}

export function sourceFacts(over: Partial<SourceCatalog> = {}): SourceCatalog {
  return {
    ...summary(),
    standby: false,
    settings: { wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 10, max_slot_wal_keep_size: -1, rds_logical_replication: undefined },
    role: { superuser: true, replication: true, memberships: [] },
    slots_in_use: 0,
    plan_slots: [],
    inactive_slots: [],
    wal_senders_in_use: 0,
    connecting_roles: [{ name: 'migrator', uses: ['source.dsn'], exists: true, can_replicate: true }],
    can_create_in_database: true,
    unreadable_sequences: [],
    sequences: 0,
    present_schemas: [],
    temporary_tables: 0,
    large_objects: 0,
    plan_publications: [],
    long_transactions: [],
    prepared_transactions: [],
    wal_rate: { bytes: 1024 * 1024, seconds: 1 },
    freeze_access: { via: 'postgres', refused: [], owner: 'migrator', may_alter: true, may_see_sessions: true, may_signal: true, client_addr: '10.0.0.5' },
    ...over,
  };
}

export function nodeFacts(ctx: CheckContext, over: Partial<NodeFacts> = {}): NodeFacts {
  return {
    node: ctx.plan.nodes[0],
    subscription_name: 'sub_1',
    source: summary(),
    version_num: 150018,
    version: '15.18',
    role: { user: 'postgres', superuser: true, privileged: false, can_subscribe: false },
    settings: { max_logical_replication_workers: 4, max_worker_processes: 8, max_replication_slots: 10, shared_preload_libraries: '', track_commit_timestamp: 'off' },
    existing_relations: [],
    existing_schemas: [],
    subscription: undefined,
    present_roles: [],
    available_extensions: [],
    enabled_subscriptions: 0,
    background_workers: 1,
    replication_origins: 0,
    multimaster: undefined,
    pgedge: undefined,
    reach: { tested: true },
    writable: undefined,
    setting_roles: [],
    large_objects: 0,
    ...over,
  };
}

export function toolFacts(over: Partial<ToolFacts> = {}): ToolFacts {
  return {
    source: summary(),
    pg_dump: { path: '/usr/bin/pg_dump', text: 'pg_dump (PostgreSQL) 15.18', found: true, major: 15 },
    pg_restore: { path: '/usr/bin/pg_restore', text: 'pg_restore (PostgreSQL) 15.18', found: true, major: 15 },
    vacuumdb: { path: '/usr/bin/vacuumdb', text: 'vacuumdb (PostgreSQL) 15.18', found: true, major: 15 },
    dump_disk: { dir: '/var/tmp/dump', free: 100 * 1024 * 1024 * 1024 },
    dump_directory: { dir: '/var/tmp/dump', problem: undefined },
    ...over,
  };
}

/** The findings of one rule, by id, as the runner makes them. */
export function run<F>(id: string, facts: F, ctx: CheckContext = context(), target = 'source'): Finding[] {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id}`);
  // The rule's target decides its facts' type; the test passes the matching kind.
  return judge([rule as unknown as { id: string; check(f: F, c: CheckContext): RuleResult }], facts, ctx, target);
}

/** A fact whose query failed: reading it throws, as readFacts leaves it. */
export function unreadable<T extends object>(facts: T, key: keyof T, message = 'permission denied for table pg_authid'): T {
  const copy = { ...facts };
  Object.defineProperty(copy, key, {
    enumerable: true,
    get() {
      throw new Error(message);
    },
  });
  return copy;
}
