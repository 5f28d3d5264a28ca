// Where apply writes the dump: whether it can, and the free space there.
import { existsSync, statfsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { dumpDir } from '../../plan/load.js';
import type { CheckContext } from '../context.js';
import type { ToolFacts } from '../facts.js';
import { dumpDirectoryProblem } from '../../engine/dump-directory.js';

export async function readDumpDirectory(ctx: CheckContext): Promise<ToolFacts['dump_directory']> {
  const dir = dumpDir(ctx.loaded, ctx.stateDir);
  return { dir, problem: dumpDirectoryProblem(dir) };
}

export async function readDumpDisk(ctx: CheckContext): Promise<ToolFacts['dump_disk']> {
  const dir = dumpDir(ctx.loaded, ctx.stateDir);
  let probeDir = dir;
  // The dump directory is created by apply: measure the filesystem it will be created on.
  while (!existsSync(probeDir) && dirname(probeDir) !== probeDir) probeDir = dirname(probeDir);
  const fs = statfsSync(probeDir);
  return { dir: isAbsolute(dir) ? dir : resolve(dir), free: Number(fs.bavail) * Number(fs.bsize) };
}
