// Drops from a node what a cut-off post-data restore built (indexes,
// constraints, triggers, rules), as listed by the schema dump itself, so that
// the build can be redone. pg_restore --clean cannot do this alone: it drops a
// partition's index or constraint before its parent's, which PostgreSQL
// refuses ("cannot drop inherited constraint"); dropping the parent's takes the
// partitions' with it. So each statement is tried on its own, and those
// refused are tried again after the others, until none is left.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ResolvedPlan } from '../plan/plan.js';
import type { Redactor } from '../secrets.js';
import { toolPath } from '../render/commands.js';
import { withClient, pgErrorText } from './connect.js';
import { OperationError } from '../errors.js';

export async function postDataDrops(plan: ResolvedPlan, dumpDir: string, redactor: Redactor): Promise<string[]> {
  if (!existsSync(join(dumpDir, 'toc.dat'))) throw new OperationError(`the schema dump ${dumpDir} is gone, so what the index build created is unknown`, 'Run `migrate abort --drop-data` and start again.');
  const script = await execa(toolPath(plan, 'pg_restore'), ['--section=post-data', '--clean', '--if-exists', '--file=-', dumpDir], { reject: false });
  if (script.exitCode !== 0) throw new OperationError(redactor.redact(`pg_restore could not read ${dumpDir}: ${script.stderr}`));
  return script.stdout.split('\n').filter((l) => /^DROP /.test(l) || (/^ALTER /.test(l) && / DROP CONSTRAINT /.test(l)));
}

export async function dropPostData(plan: ResolvedPlan, node: string, dumpDir: string, redactor: Redactor): Promise<number> {
  let pending = await postDataDrops(plan, dumpDir, redactor);
  const total = pending.length;
  const n = plan.nodes.find((x) => x.name === node)!;
  await withClient(n.dsn, `node ${node}`, async (c) => {
    while (pending.length) {
      const refused: string[] = [];
      let last: unknown;
      for (const sql of pending) {
        try {
          await c.query(sql);
        } catch (e) {
          refused.push(sql);
          last = e;
        }
      }
      if (refused.length === pending.length) throw new OperationError(redactor.redact(`dropping the cut-off index build on ${node}: ${pgErrorText(last)}`), 'Drop the listed object by hand and run `migrate apply` again.');
      pending = refused;
    }
  });
  return total;
}
