// What every group of checks is given, and what the source tells the others.
import type { LoadedPlan } from '../plan/load.js';
import { quoteName } from '../render/quote.js';
import type { ResolvedPlan } from '../plan/plan.js';
import type { DatabaseSetting } from '../render/database-settings.js';

export interface CheckContext {
  loaded: LoadedPlan;
  plan: ResolvedPlan;
  /** Where the plan's state lives (journal, default dump directory). */
  stateDir: string;
  /**
   * Task ids an apply of this plan has already started (from its journal):
   * what those tasks created is expected, not a leftover, so that a resumed
   * apply is not stopped by its own publications, slots and restored tables.
   */
  started: Set<string>;
  /**
   * apply's preflight, which shows only warnings and errors: a figure that can
   * only ever feed an info finding is not worth waiting for there.
   */
  preflight?: boolean;
}

export type RelKind = 'r' | 'p' | 'v' | 'm' | 'S' | 'f';

export interface PublishedTable {
  schema: string;
  name: string;
  /** r: plain table (or partition), p: partitioned table (no storage of its own). */
  kind: 'r' | 'p';
  persistence: 'p' | 'u';
  /** pg_class.relreplident: d default (the primary key), n nothing, f full, i an index. */
  replident: 'd' | 'n' | 'f' | 'i';
  has_pk: boolean;
  has_identity_index: boolean;
  /** A unique, non-partial, immediate index on NOT NULL columns: usable as REPLICA IDENTITY. */
  candidate_index: string | null;
  can_select: boolean;
  owned: boolean;
}

/** What the source said that the node and tool checks compare against. */
export interface SourceFacts {
  version_num: number;
  version: string;
  major: number;
  user: string;
  database: string;
  database_size: number;
  /** Heap and TOAST of the published tables: about what an uncompressed dump holds. */
  published_size: number | null;
  tables: PublishedTable[];
  /** Relations the restore creates on each node. */
  relations: { schema: string; name: string; kind: RelKind }[];
  /** Schemas the restore creates (public is never created by a dump). */
  schemas: string[];
  extensions: { name: string; version: string }[];
  /** Roles the restore names as owners or grantees: they must exist on the nodes. */
  roles: string[];
  /** ALTER DATABASE ... SET and ALTER ROLE ... IN DATABASE ... SET of the source's database (pg_db_role_setting): apply carries them to the nodes. */
  database_settings: DatabaseSetting[];
}

/** A relation as a person can paste it into psql: unambiguous even when a part holds a dot. */
export function qualified(schema: string, name: string): string {
  return quoteName(schema, name);
}

/** A relation's name as SQL, each part quoted apart: the same text as what is shown. */
export const sq = qualified;
