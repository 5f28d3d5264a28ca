// Everything the tool rules judge, read on this machine. Add a new fact of
// the machine here (and to ToolFacts in ../facts.ts).
import type { CheckContext, SourceFacts } from '../context.js';
import type { ToolFacts } from '../facts.js';
import { readFacts } from './read-facts.js';
import { readToolVersion } from './client-programs.js';
import { readDumpDirectory, readDumpDisk } from './dump-disk.js';

export async function readToolFacts(ctx: CheckContext, source: SourceFacts | undefined): Promise<ToolFacts> {
  const [pg_dump, pg_restore] = await Promise.all([readToolVersion(ctx, 'pg_dump'), readToolVersion(ctx, 'pg_restore')]);
  return readFacts(
    { source, pg_dump, pg_restore },
    {
      vacuumdb: async () => (ctx.plan.cutover.vacuum ? readToolVersion(ctx, 'vacuumdb') : undefined),
      dump_disk: () => readDumpDisk(ctx),
      dump_directory: () => readDumpDirectory(ctx),
    },
  );
}
