import { existsSync, rmSync } from 'node:fs';
import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir, type LoadedPlan } from '../plan/load.js';
import { Journal } from '../engine/journal.js';
import { acquireLock } from '../engine/lock.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { removeGuard } from '../pg/ddl-guard.js';
import { TOOL_SCHEMA } from '../pg/ddl-log.js';
import { detachAndDropSubscription, dropSlot, dropPublication } from '../pg/teardown.js';
import { redactorFor } from '../engine/run-stage.js';
import { unfreezeSource, reopenAfterSwitch } from '../tasks/unfreeze.js';
import { unfreezeWrites } from '../pg/write-freeze.js';
import { dropRestoredObjects } from '../pg/drop-restored.js';
import { restoreNodeSettings } from '../pg/restore-database-settings.js';
import { describeSettings } from '../render/restore-database-settings.js';
import { dropFallbackStream } from '../pg/fallback-teardown.js';
import { unfreezeNodes } from './rollback.js';
import { JournalUnreadableError } from '../errors.js';
import { readRunIdentity, forgetRunIdentity, describeRun, type RunIdentity } from '../engine/run-identity.js';
import { releaseDumpDirectory } from '../engine/dump-claim.js';
import { readLiveState, sourceFrozen, nothingLeft, type LiveState } from '../pg/live-state.js';
import { foreignRunError, type Owner } from '../pg/run-marks.js';
import { describeFrozenSource } from '../render/frozen-source.js';
import { removeDumpDirectory } from '../engine/dump-directory.js';
import { confirm, mayAsk } from './confirm.js';
import type { Redactor } from '../secrets.js';

export interface AbortOptions {
  stateDir?: string;
  dropData?: boolean;
  takeOver?: boolean;
  yes?: boolean;
}

type Write = (s: string) => void;

/**
 * `migrate abort PLAN`: removes everything the migration created, so that the
 * source is as it was before apply. Reads the live catalogs, not only the
 * journal: it removes only this run's objects (unless --take-over), never
 * touches the nodes' data after the switch, and ends by saying what it finds.
 * Goes on past a failure (an unreachable node) and says loudly what it could
 * not remove. Idempotent.
 */
export async function abortCommand(file: string, opts: AbortOptions, out: Write, err: Write): Promise<number> {
  const loaded = loadPlan(file);
  const state = planStateDir(loaded, opts.stateDir);
  if (mayAsk(opts) && !(await confirmAbort(loaded, state, opts, file, out))) {
    err('Not aborted: nothing was changed.\n');
    return 1;
  }
  const lock = acquireLock(state, 'abort', loaded.plan.name);
  try {
    return await abortUnderLock(loaded, state, opts, out, err);
  } finally {
    lock.release();
  }
}

/** In a terminal, what abort is about to remove, for the operator to confirm. */
function confirmAbort(loaded: LoadedPlan, state: string, opts: AbortOptions, file: string, out: Write): Promise<boolean> {
  const { plan } = loaded;
  out(`migrate abort ${file} will remove, where they exist:\n`);
  const what = [
    ...plan.replication.map((r) => `subscription ${r.subscription} on ${r.node}, slot ${r.slot} and publication ${r.publication} on the source`),
    'a write freeze on the source left by a cutover that did not switch',
    ...(opts.dropData ? [`on ${plan.nodes.map((n) => n.name).join(', ')}: every object the restore created, and its data; the database settings apply gave them, back to their own`] : []),
    `the dump directory and the journal under ${state}`,
  ];
  return confirm(what, 'Abort the migration?', out);
}

function openJournal(state: string, plan: string, err: Write): { journal?: Journal; unreadable: boolean } {
  if (!existsSync(Journal.file(state))) return { unreadable: false };
  try {
    return { journal: Journal.open(state, plan), unreadable: false };
  } catch (e) {
    if (!(e instanceof JournalUnreadableError)) throw e;
    err(`warning: ${e.message}: working from the live catalogs (the plan's publications, slots and subscriptions, and the source's read-only setting)\n`);
    return { unreadable: true };
  }
}

/** What another run (or no run) owns among the plan's objects. */
function foreignObjects(live: LiveState): { what: string; owner: Owner }[] {
  return [
    ...live.source.publications.filter((p) => p.owner.kind === 'other' || p.owner.kind === 'unmarked').map((p) => ({ what: `publication ${p.name} on the source`, owner: p.owner })),
    ...live.nodes.filter((n) => n.owner.kind === 'other' || n.owner.kind === 'unmarked').map((n) => ({ what: `subscription ${n.subscription} on ${n.node}`, owner: n.owner })),
  ];
}

/** A slot carries no mark: it is left alone with its publication, or, that gone, with its subscription. */
function slotsOf(loaded: LoadedPlan, live: LiveState, foreign: { what: string }[]): string[] {
  const kept = new Set(foreign.map((f) => f.what));
  return loaded.plan.replication
    .filter((r) => {
      const pub = live.source.publications.some((p) => p.name === r.publication);
      return pub ? kept.has(`publication ${r.publication} on the source`) : kept.has(`subscription ${r.subscription} on ${r.node}`);
    })
    .map((r) => `slot ${r.slot} on the source`);
}

function otherRunOf(live: LiveState): string | undefined {
  for (const f of foreignObjects(live)) if (f.owner.kind === 'other') return describeRun(f.owner.mark);
  return undefined;
}

async function abortUnderLock(loaded: LoadedPlan, state: string, opts: AbortOptions, out: Write, err: Write): Promise<number> {
  const { plan } = loaded;
  const redactor = redactorFor(loaded);
  const { journal, unreadable } = openJournal(state, plan.name, err);
  const me = readRunIdentity(state);
  const live = await readLiveState(plan, me, state);
  // Without a journal, the publications' marks say whether a switch was started (src/tasks/switch.ts).
  const markedSwitch = live.source.publications.map((p) => (p.owner.kind === 'ours' ? p.owner.mark.switch_started_at : undefined)).find(Boolean);
  // A rollback switched writes back to the source: the nodes are stale copies again, not the live database.
  const rolledBack = journal?.facts.rolled_back_at;
  const switchedAt = rolledBack ? undefined : (journal?.facts.switched_at ?? journal?.data.completed.cutover ?? (unreadable ? markedSwitch : undefined));
  const fallback = journal?.facts.fallback;
  if (fallback && switchedAt && !fallback.dropped_at) {
    err(`abort refused: writes were switched to the nodes at ${switchedAt} and stream back to the source through the fallback stream. Choose: \`migrate rollback ${loaded.file}\` switches writes back to the source (exact, the nodes stay frozen); \`migrate finalize ${loaded.file}\` stays on the nodes and drops the fallback stream (no way back after it). Nothing was changed.\n`);
    return 1;
  }
  const frozenText = (l: LiveState) =>
    redactor.redact(describeFrozenSource({ database: l.source.database ?? '?', closed: l.source.closed, switchedAt, frozenAt: journal?.facts.freeze?.frozen_at, otherRun: otherRunOf(l) }, loaded.file));

  if (opts.dropData && switchedAt) {
    err(`abort refuses --drop-data: writes were switched to the nodes at ${switchedAt}, so the nodes are the live database and their data is the application's now. Nothing was changed.\n`);
    if (sourceFrozen(live)) err(frozenText(live) + '\n');
    return 1;
  }
  const foreign = opts.takeOver ? [] : foreignObjects(live);
  if (foreign.length) {
    const e = foreignRunError(foreign[0].what, foreign[0].owner, `\`migrate abort ${loaded.file}\``);
    const also = foreign.length > 1 ? ` (so do: ${foreign.slice(1).map((f) => f.what).join(', ')})` : '';
    err(`abort leaves another run's objects alone: ${e.message}${also}.${opts.dropData ? ' With them there, no node\'s data is dropped: nothing was changed.' : ''}\n${e.hint}\n`);
    if (opts.dropData) {
      if (sourceFrozen(live)) err(frozenText(live) + '\n');
      return 1;
    }
  }
  const keep = new Set([...foreign.map((f) => f.what), ...slotsOf(loaded, live, foreign)]);
  const notes: string[] = [];
  const { removed, failures } = await removeEverything(loaded, state, live, { journal, unreadable, switchedAt, dropData: opts.dropData, redactor, keep, notes });
  for (const n of notes) err(`${n}\n`);
  const after = await readLiveState(plan, me, state);
  const clean = failures.length === 0 && !switchedAt && nothingLeft(after);
  if (clean) removed.push(...forgetState(loaded, state, me, journal, unreadable, err));
  for (const r of removed) out(`removed ${r}\n`);
  if (!removed.length && !failures.length && !switchedAt && !foreign.length) out('nothing to remove: no subscription, slot or publication of this plan exists\n');
  return finalWord(loaded, after, { failures, switchedAt, dropData: opts.dropData, frozenText }, out, err);
}

interface RemoveContext {
  journal?: Journal;
  unreadable: boolean;
  switchedAt?: string;
  dropData?: boolean;
  redactor: Redactor;
  /** Objects of another run: not touched. */
  keep: Set<string>;
  /** What the operator must know about what was left as it is. */
  notes: string[];
}

async function removeEverything(loaded: LoadedPlan, state: string, live: LiveState, ctx: RemoveContext): Promise<{ removed: string[]; failures: string[] }> {
  const { plan } = loaded;
  const removed: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<boolean | void>) => {
    if (ctx.keep.has(what)) return;
    try {
      if ((await fn()) !== false) removed.push(what);
    } catch (e) {
      failures.push(ctx.redactor.redact(`${what}: ${pgErrorText(e)}`));
    }
  };
  const journal = ctx.journal;
  // After the switch the source stays frozen; before it, only a freeze this
  // state directory recorded is undone (one it did not record may be another run's, after its switch).
  if (ctx.switchedAt && journal?.facts.freeze) {
    // A cutover stopped between its switch and its end leaves the database closed to connections too.
    const db = journal.facts.freeze.database;
    await attempt(`the closing of the source database ${db} to new connections`, async () => Boolean(await reopenAfterSwitch(loaded, journal)));
  } else if (!ctx.switchedAt && journal?.facts.freeze) {
    const db = journal.facts.freeze.database;
    await attempt(`write freeze on the source database ${db}`, async () => void (await unfreezeSource(loaded, journal, ctx.redactor, state)));
  } else if (ctx.unreadable && !ctx.switchedAt && sourceFrozen(live) && plan.cutover.freeze !== 'hook' && live.source.publications.some((p) => p.owner.kind === 'ours')) {
    // The journal that recorded the freeze is lost; this run's publications
    // are there and none says a switch was started: the freeze is this run's cutover's, before its switch.
    const db = live.source.database!;
    await attempt(`write freeze on the source database ${db} (undone from the live catalogs: this run's publications are there and none says writes were switched)`, () =>
      withClient(plan.source.dsn, 'the source', (c) => unfreezeWrites(c, { database: db, read_only_before: null })),
    );
  }
  // First: the fallback stream's publication and the subscriptions are on those closed nodes.
  if (journal?.facts.rollback_freeze && journal.facts.rolled_back_at) {
    // Rolled back: the nodes are frozen and stale. Emptying them needs them writable; otherwise they stay frozen.
    if (ctx.dropData) await attempt('the write freeze on the nodes (rolled back; they are emptied next)', () => unfreezeNodes(loaded, journal));
    else ctx.notes.push(`the nodes stay frozen (closed to connections, read-only): writes were rolled back to the source at ${journal.facts.rolled_back_at}. \`migrate abort ${loaded.file} --drop-data\` empties them for a new migration.`);
  }
  await attempt('the fallback stream', async () => {
    removed.push(...(await dropFallbackStream(plan)));
    return false;
  });
  for (const r of plan.replication) {
    const node = plan.nodes.find((n) => n.name === r.node)!;
    await attempt(`subscription ${r.subscription} on ${r.node}`, () =>
      withClient(node.dsn, `node ${r.node}`, (c) => detachAndDropSubscription(c, r.subscription)).catch((e) => {
        // Left closed by a rollback: the cutover dropped its subscription at the switch, long before.
        if (journal?.facts.rolled_back_at && /not currently accepting connections/.test(pgErrorText(e))) return false;
        throw e;
      }),
    );
  }
  await withClient(plan.source.dsn, 'the source', async (source) => {
    for (const r of plan.replication) await attempt(`slot ${r.slot} on the source`, () => dropSlot(source, r.slot));
    for (const r of plan.replication) await attempt(`publication ${r.publication} on the source`, () => dropPublication(source, r.publication));
    await attempt(`the DDL guard on the source (its event triggers and schema ${TOOL_SCHEMA})`, () => removeGuard(source));
  }).catch((e) => failures.push(ctx.redactor.redact(`the source: ${pgErrorText(e)}`)));
  if (ctx.dropData) {
    // A source still frozen that this state directory cannot account for may
    // have been switched from another one: its nodes would be the live database.
    const frozenNow = sourceFrozen(await readLiveState(plan, undefined, state));
    if (frozenNow) failures.push('restored objects on the nodes: not dropped, because the source is still read-only and this state directory cannot tell whether writes were switched to the nodes');
    else for (const n of plan.nodes) await dropNodeData(loaded, state, n.name, ctx, attempt);
    if (!frozenNow && ctx.unreadable) ctx.notes.push("the database settings apply carried to the nodes (ALTER DATABASE ... SET, ALTER ROLE ... IN DATABASE ... SET) are not known without the journal, and stay: compare each node's pg_db_role_setting with the source's.");
  }
  return { removed, failures };
}

/** The restore's objects, then the settings apply gave the node's database (back to the node's own, as the journal recorded them). */
async function dropNodeData(loaded: LoadedPlan, state: string, node: string, ctx: RemoveContext, attempt: (what: string, fn: () => Promise<boolean | void>) => Promise<void>): Promise<void> {
  await attempt(`restored objects on ${node}`, () => dropRestoredObjects(loaded.plan, node, planDumpDir(loaded, state), ctx.redactor));
  const carried = ctx.journal?.facts.database_settings?.[node];
  if (carried?.set?.length) await attempt(`the database settings apply carried to ${node} (${describeSettings(carried.set)}), back to the node's own`, () => restoreNodeSettings(loaded.plan, node, carried));
}

/** Once nothing of the migration is left: its dump (after --drop-data, which reads its list of objects), journal, identity and dump claim go too. */
function forgetState(loaded: LoadedPlan, state: string, me: RunIdentity | undefined, journal: Journal | undefined, unreadable: boolean, err: Write): string[] {
  const gone: string[] = [];
  const dump = removeDumpDirectory(planDumpDir(loaded, state));
  if (dump && 'removed' in dump) gone.push(dump.removed);
  else if (dump) err(`${dump.kept}\n`);
  if (journal || unreadable) {
    // An unreadable journal has nothing left to say once everything is removed.
    rmSync(Journal.file(state), { force: true });
    gone.push(`the journal ${Journal.file(state)}`);
  }
  releaseDumpDirectory(planDumpDir(loaded, state), me, state);
  forgetRunIdentity(state);
  return gone;
}

interface Outcome {
  failures: string[];
  switchedAt?: string;
  dropData?: boolean;
  frozenText: (l: LiveState) => string;
}

/** The last lines say what the databases show now, not what abort meant to do. */
function finalWord(loaded: LoadedPlan, after: LiveState, o: Outcome, out: Write, err: Write): number {
  const slots = loaded.plan.replication.map((r) => r.slot).join(', ');
  for (const f of o.failures) err(`could not remove ${f}\n`);
  if (o.failures.length) err(`!! abort is incomplete. Any of the slots ${slots} still on the source holds WAL until dropped: fix the cause and run \`migrate abort ${loaded.file}\` again.\n`);
  if (after.source.error) {
    err(`!! the source could not be read (${after.source.error}): whether it is writable, and what is left on it, is unknown.\n`);
    return 1;
  }
  for (const a of after.source.anchors) err(`!! the snapshot anchor ${a.name} is open on the source${a.active_pid ? ` (held by pid ${a.active_pid}: a run is still exporting its snapshot)` : ''}; it goes when that session ends.\n`);
  if (o.switchedAt) {
    err(`Writes were switched to the nodes at ${o.switchedAt} by the cutover: abort cannot undo that, and keeps the journal. ${nothingLeft(after) ? "Nothing of the migration's replication is left on the source or the nodes." : 'Some of the replication objects could not be removed (above).'}\n`);
    if (sourceFrozen(after)) err(o.frozenText(after) + '\n');
    return 1;
  }
  if (sourceFrozen(after)) {
    err(o.frozenText(after) + '\n');
    return 1;
  }
  if (o.failures.length || !nothingLeft(after) || after.source.anchors.length) return 1;
  out(`the source is as it was before apply${o.dropData ? '; the nodes are emptied of the restored objects' : ''}\n`);
  return 0;
}
