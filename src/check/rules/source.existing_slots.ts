import { quoteLiteral } from '../../render/quote.js';
import { formatBytes } from '../../pg/replication-state.js';
import type { PlanSlot } from '../facts.js';
import { error, info, type SourceRule, type Verdict } from '../rule.js';

function describe(s: PlanSlot): string {
  return `${s.slot_name} (${s.slot_type}${s.plugin ? ` ${s.plugin}` : ''}${s.database ? `, database ${s.database}` : ''}, ${s.active ? 'active' : 'inactive'}, holding ${formatBytes(s.retained === null ? null : Number(s.retained))} of WAL${s.wal_status ? `, ${s.wal_status}` : ''})`;
}

export const rule: SourceRule = {
  id: 'source.existing_slots',
  target: 'source',
  severity: 'error',
  title: "no slot the plan names exists, unless this plan's apply created it",
  docs: {
    why: "A slot the plan names but did not create is a leftover: apply would stream from it, and a slot older than the snapshot anchor has held WAL all along (and may have been invalidated). Until dropped it also keeps the source's WAL from being recycled.",
    fix: "If it is left from an earlier run of this plan: migrate abort PLAN. Otherwise SELECT pg_drop_replication_slot('<slot>'); on the source, or choose other slot names in the plan.",
  },
  check: (f, ctx) => {
    const slot = (name: string) => f.plan_slots.find((s) => s.slot_name === name)!;
    const ours = ctx.plan.replication.filter((r) => f.plan_slots.some((s) => s.slot_name === r.slot));
    const resumed = ours.filter((r) => ctx.started.has(`slot:${r.node}`));
    const leftover = ours.filter((r) => !ctx.started.has(`slot:${r.node}`));
    const out: Verdict[] = [];
    if (resumed.length) out.push(info(`slot ${resumed.map((r) => describe(slot(r.slot))).join(', ')} exists, created by this plan's apply`, 'An apply of this plan has started (its journal says so); the next apply resumes with it.'));
    if (leftover.length) {
      out.push(
        error(
          `slot ${leftover.map((r) => describe(slot(r.slot))).join(', ')} already exists on the source`,
          rule.docs.why,
          `If it is left from an earlier run of this plan: migrate abort ${ctx.loaded.file}. Otherwise, on the source: ${leftover.map((r) => `SELECT pg_drop_replication_slot(${quoteLiteral(r.slot)});`).join(' ')} (or choose other slot names in the plan).`,
        ),
      );
    }
    return out;
  },
};
