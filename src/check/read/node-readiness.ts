// What a node needs besides being empty: to take writes, the roles the
// source database's settings name, and no large objects of its own.
import type pg from 'pg';
import type { SourceFacts } from '../context.js';
import type { NodeTarget } from '../facts.js';
import { whyNotWritable, type NotWritable } from '../../pg/node-writable.js';

/**
 * Asked on a session of its own, opened as pg_restore's is: the check
 * sessions start read-only on purpose, and the tool's sessions override
 * default_transaction_read_only. It runs one SELECT.
 */
export function readWritable(node: NodeTarget): Promise<NotWritable | undefined> {
  return whyNotWritable(node.dsn, `node ${node.name}`);
}

export async function readSettingRoles(c: pg.Client, source: SourceFacts | undefined): Promise<string[]> {
  const roles = [...new Set((source?.database_settings ?? []).map((s) => s.role).filter((r): r is string => r !== null))];
  if (!roles.length) return [];
  return (await c.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY ($1)', [roles])).rows.map((x) => x.rolname);
}

export async function readNodeLargeObjects(c: pg.Client): Promise<number> {
  return Number((await c.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_largeobject_metadata')).rows[0].n);
}
