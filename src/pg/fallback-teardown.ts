// Removing the fallback stream of a cutover that did not reach its switch (or
// an abort before it): the subscription on the source, the slot and
// publication on the node. Each part is looked up first; safe to repeat.
import type { ResolvedPlan } from '../plan/plan.js';
import { fallbackOf } from '../plan/fallback.js';
import { withClient, withMaintenanceClient, pgErrorText } from './connect.js';
import { detachAndDropSubscription, dropSlot, dropPublication } from './teardown.js';
import { renderSql } from '../render/templates.js';

export async function dropFallbackStream(plan: ResolvedPlan): Promise<string[]> {
  const f = fallbackOf(plan);
  if (!f) return [];
  const removed: string[] = [];
  await withClient(plan.source.dsn, 'the source', async (c) => {
    await c.query(renderSql('writable-session.sql.hbs', {}));
    if (await detachAndDropSubscription(c, f.subscription)) removed.push(`subscription ${f.subscription} on the source`);
  });
  const node = plan.nodes.find((n) => n.name === f.node);
  if (!node) return removed;
  try {
    await withClient(node.dsn, `node ${f.node}`, async (c) => {
      await c.query(renderSql('writable-session.sql.hbs', {}));
      if (await dropSlot(c, f.slot)) removed.push(`slot ${f.slot} on ${f.node}`);
      if (await dropPublication(c, f.publication)) removed.push(`publication ${f.publication} on ${f.node}`);
    });
  } catch (e) {
    // Left closed by a rollback: the slot (what fills the disk) can still go, from another database of the server.
    if (!/not currently accepting connections/.test(pgErrorText(e))) throw e;
    await withMaintenanceClient(node.dsn, `node ${f.node}`, async (c) => {
      if (await dropSlot(c, f.slot)) removed.push(`slot ${f.slot} on ${f.node}`);
    });
  }
  return removed;
}
