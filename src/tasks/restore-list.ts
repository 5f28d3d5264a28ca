// A dump taken while an older run's DDL guard was still on the source holds
// its event triggers: pg_dump carries event triggers whatever --exclude-schema
// leaves out, and their function (in the excluded schema) is missing on the
// nodes, so the restore would stop on them. They are left out of the restore
// through a list (pg_restore --list, edited, --use-list); a dump without
// them is restored as it is.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext } from './context.js';
import type { Command } from '../render/commands.js';
import { OperationError } from '../errors.js';
import { GUARD_TRIGGERS } from '../render/ddl-guard.js';

const GUARD_ENTRY = new RegExp(`^\\d+; \\d+ \\d+ EVENT TRIGGER - (${Object.values(GUARD_TRIGGERS).join('|')}) `);

/** The restore command, leaving the guard's event triggers out when the dump has them. */
export async function withoutGuardTriggers(ctx: TaskContext, cmd: Command, logName: string): Promise<Command> {
  // toc.dat names every entry in plain text: most dumps need no listing at all.
  const toc = readFileSync(join(ctx.dumpDir, 'toc.dat'));
  if (!Object.values(GUARD_TRIGGERS).some((name) => toc.includes(name))) return cmd;
  const list = join(ctx.runDir, `${logName}.list`);
  const r = await ctx.run({ program: cmd.program, argv: ['--list', `--file=${list}`, ctx.dumpDir], env: {} }, `${logName}-list`);
  if (r.exitCode !== 0) throw new OperationError(`pg_restore --list ${ctx.dumpDir} exited ${r.exitCode}`, `Full output: ${join(ctx.runDir, `${logName}-list.log`)}`);
  const lines = readFileSync(list, 'utf8').split('\n');
  if (!lines.some((l) => GUARD_ENTRY.test(l))) return cmd;
  writeFileSync(list, lines.map((l) => (GUARD_ENTRY.test(l) ? `; ${l}` : l)).join('\n'));
  ctx.progress("the dump holds an older run's DDL guard event triggers: left out of the restore");
  const dir = cmd.argv[cmd.argv.length - 1];
  return { ...cmd, argv: [...cmd.argv.slice(0, -1), `--use-list=${list}`, dir] };
}
