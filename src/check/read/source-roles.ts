// The roles that will connect to the source, and what the tool's role may do
// there beyond what readSourceSummary reads.
import type pg from 'pg';
import { parseConninfo } from '../../plan/conninfo.js';
import { subscriptionConnection } from '../../render/describe.js';
import type { CheckContext } from '../context.js';
import type { ConnectingRole } from '../facts.js';

/** The tool's role creates the slots and the anchor; each subscription logs in as the role of its connection string. */
function connectingUses(ctx: CheckContext, user: string): Map<string, string[]> {
  const roles = new Map<string, string[]>([[user, ['source.dsn']]]);
  for (const r of ctx.plan.replication) {
    let sub: string | undefined;
    try {
      sub = parseConninfo(subscriptionConnection(ctx.plan, r.node, true)).user;
    } catch {
      continue;
    }
    if (sub && sub !== user) roles.set(sub, [...(roles.get(sub) ?? []), `subscription ${r.subscription}`]);
  }
  return roles;
}

export async function readConnectingRoles(c: pg.Client, ctx: CheckContext, user: string): Promise<ConnectingRole[]> {
  const uses = connectingUses(ctx, user);
  const rows = (
    await c.query<{ rolname: string; ok: boolean }>(
      `SELECT r.rolname, r.rolsuper OR r.rolreplication
              OR EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS ok
         FROM pg_roles r WHERE r.rolname = ANY ($1)`,
      [[...uses.keys()]],
    )
  ).rows;
  return [...uses].map(([name, u]) => {
    const row = rows.find((r) => r.rolname === name);
    return { name, uses: u, exists: row !== undefined, can_replicate: row?.ok ?? false };
  });
}

export async function readCanCreateInDatabase(c: pg.Client): Promise<boolean> {
  return (await c.query<{ ok: boolean }>("SELECT has_database_privilege(current_database(), 'CREATE') AS ok")).rows[0].ok;
}
