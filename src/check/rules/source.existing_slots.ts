import { quoteLiteral } from '../../render/quote.js';
import { formatBytes } from '../../pg/replication-state.js';
import type { PlanSlot } from '../facts.js';
import { error, info, type SourceRule, type Verdict } from '../rule.js';
import { byOwner, otherRunVerdict, reusedVerdict, UNMARKED_NOTE, type ExistingOwner } from '../run-owner.js';

function describe(s: PlanSlot): string {
  return `${s.slot_name} (${s.slot_type}${s.plugin ? ` ${s.plugin}` : ''}${s.database ? `, database ${s.database}` : ''}, ${s.active ? 'active' : 'inactive'}, holding ${formatBytes(s.retained === null ? null : Number(s.retained))} of WAL${s.wal_status ? `, ${s.wal_status}` : ''})`;
}

const WHY =
  "A slot the plan names but did not create is a leftover: apply would stream from it, and a slot older than the snapshot anchor has held WAL all along (and may have been invalidated). Until dropped it also keeps the source's WAL from being recycled.";

export const rule: SourceRule = {
  id: 'source.existing_slots',
  target: 'source',
  severity: 'error',
  title: 'no slot the plan names exists, unless this run of the plan made it',
  docs: {
    why: `${WHY} A slot carries no mark of its own: it is the run's whose publication it streams, and apply refuses another run's.`,
    fix: "Another run's: go on with that run, or abort it there. A leftover: SELECT pg_drop_replication_slot('<slot>'); on the source, or choose other slot names in the plan.",
  },
  check: (f, ctx) => {
    const existing = ctx.plan.replication.filter((r) => f.plan_slots.some((s) => s.slot_name === r.slot));
    const slot = (name: string) => describe(f.plan_slots.find((s) => s.slot_name === name)!);
    // A slot is its publication's run's (src/tasks/create-slot.ts); without a publication, the journal says whether this plan made it.
    const owner = (r: (typeof existing)[number]): ExistingOwner | undefined => f.plan_publications.find((p) => p.name === r.publication)?.owner;
    const marked = existing.filter((r) => owner(r));
    const { ours, unmarked, others } = byOwner(marked, (r) => owner(r)!);
    const resumed = existing.filter((r) => !owner(r) && ctx.started.has(`slot:${r.node}`));
    const leftover = [...unmarked, ...existing.filter((r) => !owner(r) && !ctx.started.has(`slot:${r.node}`))];
    const out: Verdict[] = [];
    if (ours.length) out.push(reusedVerdict('slot', ours.map((r) => slot(r.slot)), ctx));
    if (resumed.length) out.push(info(`slot ${resumed.map((r) => slot(r.slot)).join(', ')} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.'));
    for (const o of others) out.push(otherRunVerdict('slot', o.items.map((r) => `${slot(r.slot)} (with its publication ${r.publication})`), o.mark, ctx));
    if (leftover.length) {
      out.push(
        error(
          `slot ${leftover.map((r) => slot(r.slot)).join(', ')} already exists on the source`,
          unmarked.length ? `${WHY} Its publication exists too: ${UNMARKED_NOTE}` : WHY,
          `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}${unmarked.length ? ' --take-over' : ''}. Otherwise, on the source: ${leftover.map((r) => `SELECT pg_drop_replication_slot(${quoteLiteral(r.slot)});`).join(' ')} (or choose other slot names in the plan).`,
        ),
      );
    }
    return out;
  },
};
