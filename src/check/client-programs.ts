// What the tools.pg_dump and tools.pg_restore rules share: the version a
// client program must have, and how to install the right one.
import type { ResolvedPlan } from '../plan/plan.js';
import type { ToolFacts, ToolVersion } from './facts.js';
import { error, info, warning, type Verdict } from './rule.js';

export function installFix(plan: ResolvedPlan, major: number | string): string {
  return `Install the PostgreSQL ${major} client programs (Debian: apt-get install postgresql-client-${major}) and point tools.bin_dir at them (Debian: /usr/lib/postgresql/${major}/bin)${plan.tools.bin_dir ? `; tools.bin_dir is ${plan.tools.bin_dir} now` : ', or put them first on PATH'}.`;
}

export function wantedMajor(f: ToolFacts): number | string {
  return f.source ? f.source.major : '<source major>';
}

/** Found, PostgreSQL's own, and not older than the source; undefined when those hold (the caller adds its own comparisons). */
export function programProblem(f: ToolFacts, plan: ResolvedPlan, tool: ToolVersion, program: string, role: string, olderWhy: string): Verdict | undefined {
  if (!tool.found) return error(`${program} at ${tool.path}: ${tool.text}`, `apply runs ${program}, which ${role}.`, installFix(plan, wantedMajor(f)));
  if (tool.major === undefined) {
    return warning(`${tool.path} --version printed "${tool.text}", which names no PostgreSQL version`, `${program} must be PostgreSQL's own, of the source's major version or newer.`, installFix(plan, wantedMajor(f)));
  }
  if (f.source && tool.major < f.source.major) return error(`${tool.text} (${tool.path}) is older than the source's PostgreSQL ${f.source.version}`, olderWhy, installFix(plan, f.source.major));
  return undefined;
}

export function programFine(f: ToolFacts, tool: ToolVersion): Verdict {
  return info(`${tool.text} (${tool.path})`, f.source ? `Not older than the source (PostgreSQL ${f.source.major}).` : 'The source could not be read, so its version was not compared.');
}
