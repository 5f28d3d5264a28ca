// `abort --drop-data`: drops from a node exactly the objects the restore
// created, as listed by the dump itself (pg_restore --clean writes the DROPs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Redactor } from '../secrets.js';
import { toolPath } from '../render/commands.js';
import { withClient } from './connect.js';
import { OperationError } from '../errors.js';

export async function dropRestoredObjects(plan: ResolvedPlan, node: string, dumpDir: string, redactor: Redactor): Promise<boolean> {
  if (!existsSync(join(dumpDir, 'toc.dat'))) {
    throw new OperationError(`the dump ${dumpDir} is gone, so which objects the restore created is unknown; drop them by hand`);
  }
  const script = await execa(toolPath(plan, 'pg_restore'), ['--clean', '--if-exists', '--schema-only', '--file=-', dumpDir], { reject: false });
  if (script.exitCode !== 0) throw new OperationError(redactor.redact(`pg_restore could not read ${dumpDir}: ${script.stderr}`));
  const drops = script.stdout.split('\n').filter((l) => l.startsWith('DROP '));
  if (!drops.length) return false;
  const n = plan.nodes.find((x) => x.name === node)!;
  await withClient(n.dsn, `node ${node}`, async (c) => {
    await c.query(['BEGIN', ...drops.map((d) => d.replace(/;$/, '')), 'COMMIT'].join(';\n'));
  });
  return true;
}
