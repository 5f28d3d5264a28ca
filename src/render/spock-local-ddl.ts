// Spock can replicate DDL by itself (spock.enable_ddl_replication, on in
// pgEdge's own setup): every CREATE the restore runs on one node would be
// queued and run again on the others, which restore the same dump and stop at
// "already exists". The same holds for the cutover's sequence changes
// (ALTER SEQUENCE, and the ALTER TABLE inside snowflake.convert_sequence_to_snowflake,
// which spock.allow_ddl_from_functions would carry) and for abort --drop-data.
// The three settings are user-settable (PGC_USERSET in Spock 5), so every
// session the migration opens on a pgEdge node turns them off for itself,
// whatever the cluster's setting; other sessions keep the cluster's.
import type { ResolvedPlan } from '../plan/plan.js';

export const SPOCK_LOCAL_DDL_SETTINGS = ['spock.enable_ddl_replication', 'spock.include_ddl_repset', 'spock.allow_ddl_from_functions'] as const;

/** libpq's `options` for a session of the migration on this node, or undefined when the node is not pgEdge. */
export function nodeSessionOptions(node: { kind?: string }): string | undefined {
  if (node.kind !== 'pgedge') return undefined;
  return SPOCK_LOCAL_DDL_SETTINGS.map((s) => `-c ${s}=off`).join(' ');
}

/** Session options for a database the tool connects to: 'source' or a node's name. */
export function sessionOptionsFor(plan: ResolvedPlan, where: string): string | undefined {
  const node = plan.nodes.find((n) => n.name === where);
  return node ? nodeSessionOptions(node) : undefined;
}

/** The same settings as SQL, for a runbook step a DBA runs in psql. */
export function spockLocalDdlSql(): string {
  return SPOCK_LOCAL_DDL_SETTINGS.map((s) => `SET ${s} = off;`).join('\n');
}

/** A conninfo's own `options` with ours appended (the user's come first, ours win). */
export function mergeOptions(existing: string | undefined, ours: string | undefined): string | undefined {
  if (!ours) return existing;
  return existing ? `${existing} ${ours}` : ours;
}
