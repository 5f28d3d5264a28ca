// The client programs the recipe runs, as argv arrays (never a shell string),
// with the password moved to PGPASSWORD so it never shows in `ps`.
import { join } from 'node:path';
import { parseConninfo, formatKeyValue, redactConninfo } from '../plan/conninfo.js';
import type { ResolvedPlan } from '../plan/plan.js';
import { quoteIdent, quoteQualified } from './quote.js';
import { mergeOptions, nodeSessionOptions } from './spock-local-ddl.js';
// The DDL guard's schema on the source (an older run's, should one be left): the nodes never get it.
import { TOOL_SCHEMA } from '../pg/ddl-log.js';

export interface Command {
  program: string;
  argv: string[];
  /** Environment the program needs; values here may be secret and are shown redacted. */
  env: Record<string, string>;
}

export function toolPath(plan: ResolvedPlan, program: string): string {
  return plan.tools.bin_dir ? join(plan.tools.bin_dir, program) : program;
}

/** A DSN for a client program: the password goes to the environment, the rest to --dbname. */
export function connection(dsn: string, sessionOptions?: string): { dbname: string; env: Record<string, string> } {
  const { password, ...rest } = parseConninfo(dsn);
  const options = mergeOptions(rest.options, sessionOptions);
  return { dbname: formatKeyValue({ ...rest, ...(options ? { options } : {}) }), env: password ? { PGPASSWORD: password } : {} };
}

export function dumpCommand(plan: ResolvedPlan, dir: string, snapshot: string): Command {
  const c = connection(plan.source.dsn);
  const argv = [`--dbname=${c.dbname}`, `--snapshot=${snapshot}`, '--format=directory', `--jobs=${plan.dump.jobs}`, `--file=${dir}`, '--no-publications', '--no-subscriptions', `--exclude-schema=${TOOL_SCHEMA}`, '--verbose'];
  if (plan.dump.compress !== undefined) argv.push(`--compress=${plan.dump.compress}`);
  // pg_dump reads --schema and --table as patterns: unquoted letters fold to
  // lower case and * ? . are special. Quoted as identifiers they match exactly
  // the names the publications carry.
  for (const s of plan.publish.schemas ?? []) argv.push(`--schema=${quoteIdent(s)}`);
  for (const t of plan.publish.tables ?? []) argv.push(`--table=${quoteQualified(t)}`);
  return { program: toolPath(plan, 'pg_dump'), argv, env: c.env };
}

export function restoreCommand(plan: ResolvedPlan, node: string, dir: string): Command {
  const n = plan.nodes.find((x) => x.name === node)!;
  // pg_restore's every connection (one per job) carries the node's session settings.
  const c = connection(n.dsn, nodeSessionOptions(n));
  const argv = [`--dbname=${c.dbname}`, '--format=directory', `--jobs=${plan.restore.jobs}`, '--exit-on-error', '--verbose'];
  if (plan.restore.no_owner) argv.push('--no-owner');
  if (plan.restore.no_privileges) argv.push('--no-privileges');
  argv.push(dir);
  return { program: toolPath(plan, 'pg_restore'), argv, env: c.env };
}

export function vacuumCommand(plan: ResolvedPlan, node: string): Command {
  const n = plan.nodes.find((x) => x.name === node)!;
  const c = connection(n.dsn);
  return { program: toolPath(plan, 'vacuumdb'), argv: [`--dbname=${c.dbname}`, '--analyze-only', '--jobs=2'], env: c.env };
}

export function hookCommand(script: string): Command {
  return { program: '/bin/sh', argv: ['-c', script], env: {} };
}

export { redactConninfo };
