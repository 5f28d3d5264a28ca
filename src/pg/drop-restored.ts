// Drops from a node the objects a restore of the dump creates, as listed by the
// dump itself: before a cut-off restore is redone, and for `abort --drop-data`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Redactor } from '../secrets.js';
import { toolPath } from '../render/commands.js';
import { withClient } from './connect.js';
import { OperationError } from '../errors.js';

async function readDump(plan: ResolvedPlan, args: string[], dumpDir: string, redactor: Redactor): Promise<string> {
  const r = await execa(toolPath(plan, 'pg_restore'), [...args, dumpDir], { reject: false });
  if (r.exitCode !== 0) throw new OperationError(redactor.redact(`pg_restore could not read ${dumpDir}: ${r.stderr}`));
  return r.stdout;
}

/**
 * The dump's large objects, from its table of contents (`pg_restore -l` lines
 * such as `3341; 2613 16390 BLOB - 16390 postgres`). pg_restore --clean
 * --schema-only leaves them out: to pg_restore they are data.
 */
export function largeObjectOids(tocList: string): string[] {
  return tocList
    .split('\n')
    .map((l) => /^\d+; \d+ (\d+) BLOB /.exec(l)?.[1])
    .filter((oid): oid is string => oid !== undefined);
}

/** The dump's objects as DROP ... CASCADE statements, in reverse dependency order. */
export function dropStatements(cleanScript: string): string[] {
  // Only whole objects are dropped, with CASCADE: indexes, constraints,
  // triggers and defaults go with their tables, and dropping them one by one
  // fails on partitions. Extensions stay (the node may have had them), and so
  // does the public schema.
  return cleanScript
    .split('\n')
    .filter((l) => /^DROP (TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|FUNCTION|PROCEDURE|AGGREGATE|TYPE|DOMAIN|SCHEMA|COLLATION|TEXT SEARCH \w+|OPERATOR|CAST) /.test(l))
    .filter((l) => !/^DROP SCHEMA IF EXISTS public;$/.test(l))
    .map((l) => l.replace(/;$/, ' CASCADE'));
}

export async function dropRestoredObjects(plan: ResolvedPlan, node: string, dumpDir: string, redactor: Redactor): Promise<boolean> {
  if (!existsSync(join(dumpDir, 'toc.dat'))) {
    throw new OperationError(`the dump ${dumpDir} is gone, so which objects the restore created is unknown; drop them by hand`);
  }
  const drops = dropStatements(await readDump(plan, ['--clean', '--if-exists', '--schema-only', '--file=-'], dumpDir, redactor));
  // A restore gives each large object the oid it had on the source, and fails
  // on one the node already has: those of the dump on the node are the restore's.
  const oids = largeObjectOids(await readDump(plan, ['--list'], dumpDir, redactor));
  if (!drops.length && !oids.length) return false;
  const n = plan.nodes.find((x) => x.name === node)!;
  return withClient(n.dsn, `node ${node}`, async (c) => {
    await c.query('BEGIN');
    try {
      if (drops.length) await c.query(drops.join(';\n'));
      const unlinked = oids.length ? (await c.query('SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = ANY($1::oid[])', [oids])).rowCount! : 0;
      await c.query('COMMIT');
      return drops.length > 0 || unlinked > 0;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}
