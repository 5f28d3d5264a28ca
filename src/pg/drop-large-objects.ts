// Unlinks from a node the large objects a restore of the dump creates, as
// listed by the dump itself: pre-data creates them (lo_create), and a second
// restore over them fails on the duplicate oid. Idempotent: each unlink names
// its object only if it exists.
import { execa } from 'execa';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Redactor } from '../secrets.js';
import { toolPath } from '../render/commands.js';
import { withClient } from './connect.js';
import { OperationError } from '../errors.js';

export async function dropRestoredLargeObjects(plan: ResolvedPlan, node: string, dumpDir: string, redactor: Redactor): Promise<number> {
  const script = await execa(toolPath(plan, 'pg_restore'), ['--section=pre-data', '--clean', '--if-exists', '--file=-', dumpDir], { reject: false });
  if (script.exitCode !== 0) throw new OperationError(redactor.redact(`pg_restore could not read ${dumpDir}: ${script.stderr}`));
  // pg_restore --clean writes one of these per large object: SELECT pg_catalog.lo_unlink(oid) FROM ... WHERE oid = '<oid>';
  const unlinks = script.stdout.split('\n').filter((l) => /^SELECT pg_catalog\.lo_unlink\(/.test(l));
  if (!unlinks.length) return 0;
  const n = plan.nodes.find((x) => x.name === node)!;
  await withClient(n.dsn, `node ${node}`, async (c) => {
    await c.query(['BEGIN', ...unlinks.map((l) => l.replace(/;$/, '')), 'COMMIT'].join(';\n'));
  });
  return unlinks.length;
}
