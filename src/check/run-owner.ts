// Whose an existing publication, slot or subscription of the plan is, as check
// tells it: the marks apply's ownership guard reads (src/pg/run-marks.ts),
// read the same way, so that check says beforehand what apply will do with it.
import type { Owner } from '../pg/run-marks.js';
import { describeRun, type RunIdentity } from '../engine/run-identity.js';
import { error, info, type Verdict } from './rule.js';
import type { CheckContext } from './context.js';

/** An object that exists: this run's, another run's, or no run's. */
export type ExistingOwner = Exclude<Owner, { kind: 'absent' }>;

/** The objects of each kind of owner; another run's grouped by run, each run named once. */
export function byOwner<T>(items: T[], ownerOf: (t: T) => ExistingOwner): { ours: T[]; unmarked: T[]; others: { mark: RunIdentity; items: T[] }[] } {
  const others: { mark: RunIdentity; items: T[] }[] = [];
  for (const t of items) {
    const o = ownerOf(t);
    if (o.kind !== 'other') continue;
    const group = others.find((g) => g.mark.run === o.mark.run);
    if (group) group.items.push(t);
    else others.push({ mark: o.mark, items: [t] });
  }
  return { ours: items.filter((t) => ownerOf(t).kind === 'ours'), unmarked: items.filter((t) => ownerOf(t).kind === 'unmarked'), others };
}

/** "publication p1" or "publications p1, p2", with its verb agreeing: exists/exist, belongs/belong. */
export function naming(noun: string, names: string[], verb: 'exist' | 'belong'): string {
  return names.length === 1 ? `${noun} ${names[0]} ${verb}s` : `${noun}s ${names.join(', ')} ${verb}`;
}

export function reusedVerdict(noun: string, names: string[], ctx: CheckContext): Verdict {
  return info(
    `${naming(noun, names, 'exist')}, made by this run of the plan (state directory ${ctx.stateDir}): apply reuses ${names.length === 1 ? 'it' : 'them'}`,
    "Their comment holds this run's identity (a slot goes with its publication): a resumed apply goes on with them rather than create them again.",
  );
}

export function otherRunVerdict(noun: string, names: string[], mark: RunIdentity, ctx: CheckContext): Verdict {
  return error(
    `${naming(noun, names, 'belong')} to another run of this migration: ${describeRun(mark)}`,
    "apply refuses another run's objects unless --take-over (cutover and abort of this run refuse them too): two runs would drop, restore and stream over each other's data.",
    `Go on with that run (--state-dir ${mark.state_dir} on ${mark.host}), or abort it there. If that run is gone for good (its state directory lost, its host gone): migrate apply ${ctx.loaded.file} --take-over takes its objects over (publications and slots kept; the dump, the restores and the subscriptions redone).`,
  );
}

/** The sentence an unmarked object's fix adds: the guard refuses those too. */
export const UNMARKED_NOTE = 'No run of pgedge-migrate marked it (its comment holds no run identity), so apply refuses it unless --take-over.';
