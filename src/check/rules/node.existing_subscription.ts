import { quoteIdent } from '../../render/quote.js';
import { error, info, type NodeRule } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.existing_subscription',
  target: 'node',
  severity: 'error',
  title: "the plan's subscription does not exist yet, unless this plan's apply created it",
  docs: {
    why: 'apply creates the subscription at the snapshot anchor; one of that name from an earlier run would stream from the wrong position or collide with it.',
    fix: 'If it is left from an earlier run of this plan: migrate abort PLAN. Otherwise, on the node: ALTER SUBSCRIPTION ... DISABLE; ALTER SUBSCRIPTION ... SET (slot_name = NONE); DROP SUBSCRIPTION ...; then drop its slot on the source.',
  },
  check: (f, ctx) => {
    if (!f.subscription) return undefined;
    const name = f.subscription_name;
    if (ctx.started.has(`subscription:${f.node.name}`)) {
      return info(`subscription ${name} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.');
    }
    const s = quoteIdent(name);
    return error(
      `subscription ${name} already exists (${f.subscription.enabled ? 'enabled' : 'disabled'})`,
      rule.docs.why,
      `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise, on ${f.node.name}: ALTER SUBSCRIPTION ${s} DISABLE; ALTER SUBSCRIPTION ${s} SET (slot_name = NONE); DROP SUBSCRIPTION ${s};  (then drop its slot on the source).`,
    );
  },
};
