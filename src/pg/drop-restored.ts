// Drops from a node the objects a restore of the dump creates, as listed by the
// dump itself: before a cut-off restore is redone, and for `abort --drop-data`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Redactor } from '../secrets.js';
import { toolPath } from '../render/commands.js';
import { withClient } from './connect.js';
import { spockLocalDdlSql } from '../render/spock-local-ddl.js';
import { OperationError } from '../errors.js';

export async function dropRestoredObjects(plan: ResolvedPlan, node: string, dumpDir: string, redactor: Redactor): Promise<boolean> {
  if (!existsSync(join(dumpDir, 'toc.dat'))) {
    throw new OperationError(`the dump ${dumpDir} is gone, so which objects the restore created is unknown; drop them by hand`);
  }
  const script = await execa(toolPath(plan, 'pg_restore'), ['--clean', '--if-exists', '--schema-only', '--file=-', dumpDir], { reject: false });
  if (script.exitCode !== 0) throw new OperationError(redactor.redact(`pg_restore could not read ${dumpDir}: ${script.stderr}`));
  // pg_restore --clean lists the dump's objects in reverse dependency order.
  // Only whole objects are dropped, with CASCADE: indexes, constraints,
  // triggers and defaults go with their tables, and dropping them one by one
  // fails on partitions. Extensions stay (the node may have had them), and so
  // does the public schema.
  const drops = script.stdout
    .split('\n')
    .filter((l) => /^DROP (TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|FUNCTION|PROCEDURE|AGGREGATE|TYPE|DOMAIN|SCHEMA|COLLATION|TEXT SEARCH \w+|OPERATOR|CAST) /.test(l))
    .filter((l) => !/^DROP SCHEMA IF EXISTS public;$/.test(l))
    .map((l) => l.replace(/;$/, ' CASCADE'));
  if (!drops.length) return false;
  const n = plan.nodes.find((x) => x.name === node)!;
  await withClient(n.dsn, `node ${node}`, async (c) => {
    // Spock would otherwise carry each DROP to the other nodes, which drop their own.
    const local = n.kind === 'pgedge' ? [spockLocalDdlSql().replace(/;$/, '')] : [];
    await c.query([...local, 'BEGIN', ...drops, 'COMMIT'].join(';\n'));
  });
  return true;
}
