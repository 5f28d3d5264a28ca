import { writeFileSync } from 'node:fs';
import { loadPlan, stateDir, dumpDir } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { renderRunbook } from '../render/runbook.js';
import { UsageError } from '../errors.js';
import { redactorFor } from '../engine/run-stage.js';
import { isAbsolute, relative } from 'node:path';

/** The runbook is read on other machines: a path inside the plan's directory is shown relative to it, as its shell steps run there. */
function portablePath(planDir: string, path: string): string {
  const rel = relative(planDir, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** `migrate runbook PLAN [-o FILE]`: the Markdown runbook. */
export function runbookCommand(file: string, opts: { output?: string; stateDir?: string }, out: (s: string) => void, err: (s: string) => void): void {
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const md = redactorFor(loaded).redact(renderRunbook(loaded.plan, { dumpDir: portablePath(loaded.dir, dumpDir(loaded, stateDir(loaded, opts.stateDir))), facts: {}, file: loaded.file }));
  if (!opts.output || opts.output === '-') return out(md);
  try {
    writeFileSync(opts.output, md);
  } catch (e) {
    throw new UsageError(`cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  err(`runbook written to ${opts.output}\n`);
}
