import { quoteIdent } from '../../render/quote.js';
import { error, info, type SourceRule, type Verdict } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.existing_publications',
  target: 'source',
  severity: 'error',
  title: "no publication the plan names exists, unless this plan's apply created it",
  docs: {
    why: 'apply takes an existing publication of that name as its own and does not compare what it carries: a leftover from another run or another tool would decide what is replicated. One that the journal says this apply created is expected.',
    fix: 'If it is left from an earlier run of this plan: migrate abort PLAN. Otherwise DROP PUBLICATION it, or choose other publication names in the plan.',
  },
  check: (f, ctx) => {
    const ours = ctx.plan.replication.filter((r) => f.plan_publications.includes(r.publication));
    const resumed = ours.filter((r) => ctx.started.has(`publication:${r.node}`));
    const foreign = ours.filter((r) => !ctx.started.has(`publication:${r.node}`));
    const out: Verdict[] = [];
    if (resumed.length) out.push(info(`publication ${resumed.map((r) => r.publication).join(', ')} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.'));
    if (foreign.length) {
      out.push(
        error(
          `publication ${foreign.map((r) => r.publication).join(', ')} already exists on the source`,
          'apply takes an existing publication of that name as its own and does not compare what it carries: a leftover from another run or another tool would decide what is replicated.',
          `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise drop it (${foreign.map((r) => `DROP PUBLICATION ${quoteIdent(r.publication)};`).join(' ')}) or choose other publication names in the plan.`,
        ),
      );
    }
    return out;
  },
};
