// The run identity on the objects themselves: a comment on each publication
// (source) and subscription (node) the run creates. A comment needs only
// ownership of the object, so it works on managed services (RDS, Aurora)
// without a superuser, and it is not dumped with --no-publications. A slot can
// carry nothing: it belongs to the run that owns its replication set's
// publication, created just before it.
import type pg from 'pg';
import { renderSql } from '../render/templates.js';
import { parseIdentity, isOurs, describeRun, type RunIdentity } from '../engine/run-identity.js';
import { ForeignRunError } from '../errors.js';

export type Owner = { kind: 'absent' } | { kind: 'ours'; mark: RunIdentity } | { kind: 'other'; mark: RunIdentity } | { kind: 'unmarked' };

export function markSql(kind: 'PUBLICATION' | 'SUBSCRIPTION', name: string, me: RunIdentity): string {
  return renderSql('mark-run.sql.hbs', { kind, name, mark: JSON.stringify(me) });
}

function ownerOf(exists: boolean, comment: string | null, me: RunIdentity | undefined, stateDir: string): Owner {
  if (!exists) return { kind: 'absent' };
  const mark = parseIdentity(comment);
  if (!mark) return { kind: 'unmarked' };
  return isOurs(mark, me, stateDir) ? { kind: 'ours', mark } : { kind: 'other', mark };
}

export async function publicationOwner(source: pg.Client, publication: string, me: RunIdentity | undefined, stateDir: string): Promise<Owner> {
  const r = await source.query<{ mark: string | null }>("SELECT obj_description(oid, 'pg_publication') AS mark FROM pg_publication WHERE pubname = $1", [publication]);
  return ownerOf(r.rows.length > 0, r.rows[0]?.mark ?? null, me, stateDir);
}

/** pg_subscription is shared by the cluster, but a subscription's comment lives in its own database. */
export async function subscriptionOwner(node: pg.Client, subscription: string, me: RunIdentity | undefined, stateDir: string): Promise<Owner> {
  const r = await node.query<{ mark: string | null }>(
    `SELECT obj_description(oid, 'pg_subscription') AS mark FROM pg_subscription
      WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [subscription],
  );
  return ownerOf(r.rows.length > 0, r.rows[0]?.mark ?? null, me, stateDir);
}

/**
 * Before the switch, the publications say it may have happened: an abort that
 * has lost the journal then leaves the source frozen rather than let writes in
 * that the nodes, already live, would never see.
 */
export async function markSwitchStarted(source: pg.Client, publications: string[], me: RunIdentity, at: string): Promise<void> {
  for (const p of publications) await source.query(markSql('PUBLICATION', p, { ...me, switch_started_at: at }));
}

/** The refusal for an object this run did not create; `what` names it ("publication p on the source"). */
export function foreignRunError(what: string, owner: Owner, command = 'this command'): ForeignRunError {
  const takeOver = `If that run is gone for good (its state directory lost, its host gone), run ${command} again with --take-over.`;
  if (owner.kind === 'other') {
    return new ForeignRunError(
      `${what} belongs to another run of this migration: ${describeRun(owner.mark)}`,
      `Two runs of one migration would drop, restore and stream over each other's data. Go on with that run (--state-dir ${owner.mark.state_dir} on ${owner.mark.host}), or abort it there. ${takeOver}`,
    );
  }
  return new ForeignRunError(
    `${what} exists and no run of pgedge-migrate marked it as its own (its comment holds no run identity)`,
    `It was made by hand, by another tool, or by an older version of migrate. Drop it if it is a leftover; if it is this migration's, run ${command} again with --take-over.`,
  );
}

/** Throws unless the object is absent or ours. */
export function requireOwn(what: string, owner: Owner, command?: string): void {
  if (owner.kind === 'other' || owner.kind === 'unmarked') throw foreignRunError(what, owner, command);
}
