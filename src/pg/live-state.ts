// What the databases say now about a plan's migration, whatever any journal
// says: whether the source database is frozen read-only, and which of the
// plan's publications, slots and subscriptions exist, and whose they are.
// status and abort read this, so that a state directory that knows nothing
// (another one, or an unreadable journal) cannot make them say all is well.
import type { ResolvedPlan } from '../plan/plan.js';
import type { RunIdentity } from '../engine/run-identity.js';
import type pg from 'pg';
import { withClient, connect, pgErrorText } from './connect.js';
import { parseConninfo, formatKeyValue } from '../plan/conninfo.js';
import { databaseReadOnlySetting } from './write-freeze.js';
import { publicationOwner, subscriptionOwner, type Owner } from './run-marks.js';
import { anchorSlotName } from '../render/describe.js';

export interface LiveSource {
  error?: string;
  database?: string;
  /** default_transaction_read_only as set on the database (pg_db_role_setting), null when not set. */
  read_only_setting: string | null;
  publications: { name: string; owner: Owner }[];
  slots: { name: string; active: boolean; active_pid: number | null }[];
  /** Temporary anchor slots of this plan: a run is exporting a snapshot, or one just ended. */
  anchors: { name: string; active_pid: number | null }[];
  /**
   * The database takes no connection (a freeze may close it): read from
   * another database of the server, which shows the settings and the slots
   * but not the publications, whose owners are then unknown.
   */
  closed?: boolean;
}

export interface LiveNode {
  node: string;
  subscription: string;
  error?: string;
  owner: Owner;
  enabled?: boolean;
}

export interface LiveState {
  source: LiveSource;
  nodes: LiveNode[];
}

/** PostgreSQL's spellings of true for a boolean setting. */
export function isOn(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && /^(on|true|yes|1|t|y)$/i.test(value.trim());
}

async function readSource(plan: ResolvedPlan, me: RunIdentity | undefined, stateDir: string): Promise<LiveSource> {
  const out: LiveSource = { read_only_setting: null, publications: [], slots: [], anchors: [] };
  try {
    await withClient(plan.source.dsn, 'the source', async (c) => {
      const setting = await databaseReadOnlySetting(c);
      out.database = setting.database;
      out.read_only_setting = setting.value;
      for (const r of plan.replication) {
        const owner = await publicationOwner(c, r.publication, me, stateDir);
        if (owner.kind !== 'absent') out.publications.push({ name: r.publication, owner });
      }
      await readSlotsInto(c, plan, out);
    });
  } catch (e) {
    if (/not currently accepting connections/.test(pgErrorText(e))) return readClosedSource(plan, out);
    out.error = pgErrorText(e);
  }
  return out;
}

async function readSlotsInto(c: pg.Client, plan: ResolvedPlan, out: LiveSource): Promise<void> {
  const slots = await c.query<{ slot_name: string; active: boolean; active_pid: number | null; temporary: boolean }>(
    "SELECT slot_name, active, active_pid, temporary FROM pg_replication_slots WHERE slot_name = ANY ($1) OR (temporary AND slot_name LIKE $2 || '%')",
    [plan.replication.map((r) => r.slot), anchorSlotName(plan)],
  );
  for (const s of slots.rows) {
    if (s.temporary) out.anchors.push({ name: s.slot_name, active_pid: s.active_pid });
    else out.slots.push({ name: s.slot_name, active: s.active, active_pid: s.active_pid });
  }
}

async function readClosedSource(plan: ResolvedPlan, out: LiveSource): Promise<LiveSource> {
  const database = parseConninfo(plan.source.dsn).dbname ?? process.env.PGDATABASE ?? '';
  out.closed = true;
  out.database = database;
  try {
    // The same server and credentials, another database: parsed and formatted, never spliced as text.
    const server = formatKeyValue({ ...parseConninfo(plan.source.dsn), dbname: 'postgres' });
    const c = await connect(server, 'the source (another database of its server)');
    try {
      const r = await c.query<{ value: string | null }>(
        `SELECT (SELECT substring(s FROM '^default_transaction_read_only=(.*)$')
                   FROM pg_db_role_setting r, unnest(r.setconfig) s
                  WHERE r.setdatabase = d.oid AND r.setrole = 0 AND s LIKE 'default_transaction_read_only=%') AS value
           FROM pg_database d WHERE d.datname = $1`,
        [database],
      );
      out.read_only_setting = r.rows[0]?.value ?? null;
      await readSlotsInto(c, plan, out);
    } finally {
      await c.end().catch(() => undefined);
    }
  } catch (e) {
    out.error = `the database ${database} takes no connection, and the server's postgres database could not be read either: ${pgErrorText(e)}`;
  }
  return out;
}

export async function readLiveState(plan: ResolvedPlan, me: RunIdentity | undefined, stateDir: string): Promise<LiveState> {
  const [source, nodes] = await Promise.all([
    readSource(plan, me, stateDir),
    Promise.all(
      plan.replication.map(async (r): Promise<LiveNode> => {
        const node = plan.nodes.find((n) => n.name === r.node)!;
        try {
          return await withClient(node.dsn, `node ${r.node}`, async (c) => {
            const owner = await subscriptionOwner(c, r.subscription, me, stateDir);
            return { node: r.node, subscription: r.subscription, owner };
          });
        } catch (e) {
          return { node: r.node, subscription: r.subscription, owner: { kind: 'absent' }, error: pgErrorText(e) };
        }
      }),
    ),
  ]);
  return { source, nodes };
}

/** Read-only, or closed to connections: either way the source takes no write. */
export function sourceFrozen(live: LiveState): boolean {
  return isOn(live.source.read_only_setting) || Boolean(live.source.closed);
}

/** Nothing of the plan's replication is left anywhere that could be read. */
export function nothingLeft(live: LiveState): boolean {
  return !live.source.error && !live.source.closed && !live.source.publications.length && !live.source.slots.length && live.nodes.every((n) => !n.error && n.owner.kind === 'absent');
}

/** What status adds to its view of replication: the source's read-only setting, and whose the publications are. */
export async function readSourceFreeze(plan: ResolvedPlan, me: RunIdentity | undefined, stateDir: string): Promise<{ database?: string; frozen: boolean; closed?: boolean; error?: string; otherRun?: RunIdentity }> {
  const s = await readSource(plan, me, stateDir);
  const other = s.publications.map((p) => p.owner).find((o) => o.kind === 'other');
  return { database: s.database, frozen: isOn(s.read_only_setting) || Boolean(s.closed), closed: s.closed, error: s.error, otherRun: other?.kind === 'other' ? other.mark : undefined };
}
