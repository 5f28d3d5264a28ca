// Before a stage touches anything: every publication and subscription of the
// plan that exists must be this run's. Another run's (or no run's) objects
// stop the stage, naming that run, unless the operator says it is gone
// (--take-over): its objects are then marked as ours, and an apply starts over
// from them (publications and slots kept, dump, restores and subscriptions redone).
import type { LoadedPlan } from '../plan/load.js';
import type { Stage } from '../plan/graph.js';
import type { Journal } from './journal.js';
import { withClient } from '../pg/connect.js';
import { publicationOwner, subscriptionOwner, foreignRunError, markSql, type Owner } from '../pg/run-marks.js';
import { detachAndDropSubscription } from '../pg/teardown.js';
import { claimDumpDirectory } from './dump-claim.js';
import { describeRun, type RunIdentity } from './run-identity.js';

interface Found {
  what: string;
  owner: Owner;
  kind: 'PUBLICATION' | 'SUBSCRIPTION';
  name: string;
  /** 'source' or the node's name. */
  on: string;
}

async function readOwners(loaded: LoadedPlan, me: RunIdentity | undefined, stateDir: string): Promise<Found[]> {
  const { plan } = loaded;
  const found: Found[] = [];
  await withClient(plan.source.dsn, 'the source', async (c) => {
    for (const r of plan.replication) found.push({ what: `publication ${r.publication} on the source`, owner: await publicationOwner(c, r.publication, me, stateDir), kind: 'PUBLICATION', name: r.publication, on: 'source' });
  }).catch((e) => {
    // A cutover stopped while its freeze had closed the database: the stage opens it first
    // (its own journal recorded that freeze); the subscriptions below still say whose migration this is.
    if (!/not currently accepting connections/.test((e as Error).message)) throw e;
  });
  for (const r of plan.replication) {
    const node = plan.nodes.find((n) => n.name === r.node)!;
    // A rollback's freeze closes the nodes' databases: a rollback run again opens them first (its journal recorded it),
    // and abort reaches them from another database. The cutover dropped the subscriptions long before.
    const owner = await withClient(node.dsn, `node ${r.node}`, (c) => subscriptionOwner(c, r.subscription, me, stateDir)).catch((e) => {
      if (/not currently accepting connections/.test((e as Error).message)) return undefined;
      throw e;
    });
    if (owner) found.push({ what: `subscription ${r.subscription} on ${r.node}`, owner, kind: 'SUBSCRIPTION', name: r.subscription, on: r.node });
  }
  return found;
}

export interface GuardOptions {
  stage: Stage;
  stateDir: string;
  dumpDir: string;
  takeOver?: boolean;
  file: string;
}

/** Returns warnings (what was taken over); throws a ForeignRunError when refusing. */
export async function guardOwnership(loaded: LoadedPlan, me: RunIdentity | undefined, journal: Journal, opts: GuardOptions): Promise<string[]> {
  const command = `\`migrate ${opts.stage} ${opts.file}\``;
  const foreign = (await readOwners(loaded, me, opts.stateDir)).filter((f) => f.owner.kind === 'other' || f.owner.kind === 'unmarked');
  const warnings: string[] = [];
  if (foreign.length && (!opts.takeOver || !me)) {
    const e = foreignRunError(foreign[0].what, foreign[0].owner, command);
    if (foreign.length > 1) e.message += ` (so do: ${foreign.slice(1).map((f) => f.what).join(', ')})`;
    throw e;
  }
  if (foreign.length && me) {
    await takeOver(loaded, me, journal, foreign, opts.stage);
    const from = [...new Set(foreign.map((f) => (f.owner.kind === 'other' ? `from ${describeRun(f.owner.mark)}` : 'from no run (unmarked)')))].join('; ');
    warnings.push(`took over ${foreign.map((f) => f.what).join(', ')} ${from}${opts.stage === 'apply' ? '; the dump, the restores and the subscriptions are redone' : ''}`);
  }
  if (opts.stage === 'apply' && me) {
    const claim = claimDumpDirectory(opts.dumpDir, me, { takeOver: opts.takeOver, command });
    if (claim.tookOverFrom) warnings.push(`took over the dump directory ${opts.dumpDir} from ${describeRun(claim.tookOverFrom)}`);
  }
  return warnings;
}

async function takeOver(loaded: LoadedPlan, me: RunIdentity, journal: Journal, foreign: Found[], stage: Stage): Promise<void> {
  const { plan } = loaded;
  const dsnOf = (on: string) => (on === 'source' ? plan.source.dsn : plan.nodes.find((n) => n.name === on)!.dsn);
  const label = (on: string) => (on === 'source' ? 'the source' : `node ${on}`);
  for (const f of foreign) {
    if (stage === 'apply' && f.kind === 'SUBSCRIPTION') continue;
    await withClient(dsnOf(f.on), label(f.on), (c) => c.query(markSql(f.kind, f.name, me)));
  }
  if (stage !== 'apply') return;
  // An apply starts over: every subscription streamed from some run's own
  // anchor, so each is made again at this run's, after its restore is redone
  // (what is already on the node is dropped first). Publications and slots stay.
  for (const r of plan.replication) await withClient(dsnOf(r.node), label(r.node), (c) => detachAndDropSubscription(c, r.subscription));
  journal.forget(Object.keys(journal.data.tasks));
  const now = new Date().toISOString();
  // The first task that writes the schema onto a node: redone, it drops what is there first.
  const first = plan.copy.method === 'stream' ? 'pre-data' : 'restore';
  for (const n of plan.nodes) journal.data.tasks[`${first}:${n.name}`] = { status: 'failed', started_at: now, finished_at: now, attempts: 1, summary: 'taken over from another run: redone from scratch' };
  journal.save();
}
