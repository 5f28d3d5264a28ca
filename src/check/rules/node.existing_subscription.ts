import { quoteIdent } from '../../render/quote.js';
import { error, type NodeRule } from '../rule.js';
import { otherRunVerdict, reusedVerdict, UNMARKED_NOTE } from '../run-owner.js';

const WHY = 'apply creates the subscription at the snapshot anchor; one of that name from an earlier run would stream from the wrong position or collide with it.';

export const rule: NodeRule = {
  id: 'node.existing_subscription',
  target: 'node',
  severity: 'error',
  title: "the plan's subscription does not exist yet, unless this run of the plan made it",
  docs: {
    why: `${WHY} One this run made (its comment holds the run's identity) is resumed; apply refuses another run's, or no run's, unless --take-over.`,
    fix: "Another run's: go on with that run, or abort it there. No run's, on the node: ALTER SUBSCRIPTION ... DISABLE; ALTER SUBSCRIPTION ... SET (slot_name = NONE); DROP SUBSCRIPTION ...; then drop its slot on the source.",
  },
  check: (f, ctx) => {
    if (!f.subscription) return undefined;
    const name = f.subscription_name;
    const { owner } = f.subscription;
    if (owner.kind === 'ours') return reusedVerdict('subscription', [name], ctx);
    if (owner.kind === 'other') return otherRunVerdict('subscription', [name], owner.mark, ctx);
    const s = quoteIdent(name);
    return error(
      `subscription ${name} already exists (${f.subscription.enabled ? 'enabled' : 'disabled'})`,
      `${WHY} ${UNMARKED_NOTE}`,
      `If it is this migration's (made by a version of migrate before run marks): migrate abort ${ctx.loaded.file} --take-over. Otherwise, on ${f.node.name}: ALTER SUBSCRIPTION ${s} DISABLE; ALTER SUBSCRIPTION ${s} SET (slot_name = NONE); DROP SUBSCRIPTION ${s};  (then drop its slot on the source).`,
    );
  },
};
