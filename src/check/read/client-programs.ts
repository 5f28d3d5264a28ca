// The client programs apply and cutover run: which one would run, and its version.
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { toolPath } from '../../render/commands.js';
import { majorOfToolVersion } from '../session.js';
import type { CheckContext } from '../context.js';
import type { ToolVersion } from '../facts.js';

/** Where a bare program name resolves on PATH, for showing which one would run. */
function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function readToolVersion(ctx: CheckContext, program: string): Promise<ToolVersion> {
  const path = toolPath(ctx.plan, program);
  const shown = ctx.plan.tools.bin_dir ? path : (onPath(program) ?? program);
  const r = await execa(path, ['--version'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) {
    const why = (r as { code?: string }).code === 'ENOENT' ? 'not found' : r.timedOut ? 'timed out' : (r.shortMessage ?? 'could not be run');
    return { path: shown, text: why, found: false };
  }
  const text = `${r.stdout}`.trim() || `${r.stderr}`.trim();
  if (r.exitCode !== 0) return { path: shown, text: `exited ${r.exitCode}: ${text}`, found: false };
  return { path: shown, text, found: true, major: majorOfToolVersion(text) };
}
