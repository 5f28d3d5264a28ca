// Plan text in, validated plan out, or every problem with its position.
import { readFileSync } from 'node:fs';
import { dirname, resolve, relative, isAbsolute } from 'node:path';
import { PlanDocument } from './document.js';
import { checkSchema } from './schema.js';
import { checkRules } from './rules.js';
import { SECTIONS_WITH_DEFAULTS, rememberSqlAsWritten, type ResolvedPlan } from './plan.js';
import type { Problem } from './problem.js';
import { byPosition } from './problem.js';
import { PlanInvalidError, UsageError } from '../errors.js';

export interface LoadedPlan {
  /** The path as the user gave it, for messages. */
  file: string;
  /** Directory relative paths in the plan are resolved against. */
  dir: string;
  plan: ResolvedPlan;
  warnings: Problem[];
}

export interface Validation {
  plan?: ResolvedPlan;
  problems: Problem[];
}

/** Parses and validates plan text. Pure: the environment is passed in. */
export function validatePlanText(text: string, file: string, env: Record<string, string | undefined>): Validation {
  const doc = new PlanDocument(file, text);
  if (!doc.parsed) return { problems: doc.problems.sort(byPosition) };
  const written = doc.interpolateEnv(env);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // yaml refuses a document whose aliases would expand beyond its bound (an "alias bomb").
    if (!/alias/i.test((e as Error).message)) throw e;
    doc.problem([], `YAML: too many aliases (${(e as Error).message}): a plan needs no more than a handful`);
    return { problems: doc.problems };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const what = data === null || data === undefined ? 'the plan is empty' : Array.isArray(data) ? 'the plan is a list' : 'the plan is a single value';
    doc.problem([], `${what}: a plan is a YAML mapping (version, name, source, nodes, replication...)`);
    return { problems: doc.problems };
  }
  const obj = data as Record<string, unknown>;
  for (const s of SECTIONS_WITH_DEFAULTS) if (obj[s] === undefined) obj[s] = s === 'hooks' ? [] : {};
  if (obj.cutover && typeof obj.cutover === 'object' && (obj.cutover as Record<string, unknown>).sequences === undefined) {
    (obj.cutover as Record<string, unknown>).sequences = {};
  }
  // Rules read the plan's structure; where the schema rejected that structure
  // they would report noise (or trip over it), so they run only when it holds.
  if (checkSchema(obj, doc).rulesCanRun) checkRules(obj as unknown as ResolvedPlan, doc);
  const problems = doc.problems.sort(byPosition);
  const errors = problems.filter((p) => p.severity === 'error');
  if (!errors.length) {
    for (const [path, sql] of written) {
      const owner = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], obj);
      if (owner && typeof owner === 'object') rememberSqlAsWritten(owner, sql);
    }
  }
  return { plan: errors.length ? undefined : (obj as unknown as ResolvedPlan), problems };
}

export function readPlanFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such plan file` : `${file}: cannot read the plan (${code ?? String(e)})`);
  }
}

export function loadPlan(file: string, env: Record<string, string | undefined> = process.env): LoadedPlan {
  const shown = isAbsolute(file) ? relative(process.cwd(), file) || file : file;
  const { plan, problems } = validatePlanText(readPlanFile(file), shown, env);
  if (!plan) throw new PlanInvalidError(problems);
  const dir = dirname(resolve(file));
  // Like every other path in a plan, relative to the plan file, not to wherever migrate runs.
  if (plan.tools.bin_dir) plan.tools.bin_dir = resolve(dir, plan.tools.bin_dir);
  return { file: shown, dir, plan, warnings: problems.filter((p) => p.severity === 'warning') };
}

/** Where the journal, lock and runs of this plan live. */
export function stateDir(loaded: LoadedPlan, override?: string): string {
  if (override) return resolve(override);
  return resolve(loaded.dir, loaded.plan.state_dir ?? `.migrate/${loaded.plan.name}`);
}

export function dumpDir(loaded: LoadedPlan, state: string): string {
  return loaded.plan.dump.directory ? resolve(loaded.dir, loaded.plan.dump.directory) : resolve(state, 'dump');
}
