import { quoteIdent } from '../../render/quote.js';
import { error, type SourceRule, type Verdict } from '../rule.js';
import { byOwner, otherRunVerdict, reusedVerdict, UNMARKED_NOTE } from '../run-owner.js';

export const rule: SourceRule = {
  id: 'source.existing_publications',
  target: 'source',
  severity: 'error',
  title: 'no publication the plan names exists, unless this run of the plan made it',
  docs: {
    why: "apply goes on with a publication that this run made (its comment holds the run's identity) and refuses one of another run, or of no run, unless --take-over: taken over, it decides what is replicated, and apply does not compare what it carries.",
    fix: 'Another run\'s: go on with that run, or abort it there (migrate apply PLAN --take-over once it is gone for good). No run\'s: DROP PUBLICATION it, or choose other publication names in the plan.',
  },
  check: (f, ctx) => {
    const { ours, unmarked, others } = byOwner(f.plan_publications, (p) => p.owner);
    const names = (ps: { name: string }[]) => ps.map((p) => p.name);
    const out: Verdict[] = [];
    if (ours.length) out.push(reusedVerdict('publication', names(ours), ctx));
    for (const o of others) out.push(otherRunVerdict('publication', names(o.items), o.mark, ctx));
    if (unmarked.length) {
      out.push(
        error(
          `publication ${names(unmarked).join(', ')} already exists on the source`,
          `apply would take it over only with --take-over, and does not compare what it carries: a leftover of another tool would decide what is replicated. ${UNMARKED_NOTE}`,
          `If it is this migration's (made by a version of migrate before run marks): migrate abort ${ctx.loaded.file} --take-over. Otherwise drop it (${unmarked.map((p) => `DROP PUBLICATION ${quoteIdent(p.name)};`).join(' ')}) or choose other publication names in the plan.`,
        ),
      );
    }
    return out;
  },
};
