// abort --drop-data on a node: the settings apply's settings:<node> gave its
// database go back to what the journal recorded the node had before.
import type { ResolvedPlan } from '../plan/plan.js';
import type { Facts } from '../facts.js';
import { withClient } from './connect.js';
import { restoreDatabaseSettingsSql } from '../render/restore-database-settings.js';
import { spockLocalDdlSql } from '../render/spock-local-ddl.js';

type Carried = NonNullable<Facts['database_settings']>[string];

/** False when apply set nothing there. */
export async function restoreNodeSettings(plan: ResolvedPlan, node: string, carried: Carried): Promise<boolean> {
  const set = carried.set ?? [];
  if (!set.length) return false;
  const n = plan.nodes.find((x) => x.name === node)!;
  const sql = restoreDatabaseSettingsSql(carried.database, set, carried.before ?? []);
  await withClient(n.dsn, `node ${node}`, async (c) => {
    if (n.kind === 'pgedge') await c.query(spockLocalDdlSql());
    await c.query(sql);
  });
  return true;
}
