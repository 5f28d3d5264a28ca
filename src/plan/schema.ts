// ajv over schemas/plan.schema.json, with its errors turned into messages a DBA
// reads once and fixes, at the YAML position they come from.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readAsset } from '../assets.js';
import type { PlanDocument, Path } from './document.js';
import { closest } from './spelling.js';

let compiled: ValidateFunction | undefined;

export function planSchema(): Record<string, unknown> {
  return JSON.parse(readAsset('schemas', 'plan.schema.json'));
}

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
    compiled = ajv.compile(planSchema());
  }
  return compiled;
}

// Sections the cross-field rules never read: an error there leaves the data
// the rules read as the schema describes it, so they can still run and the
// user sees every problem at once.
const VALUE_KEYWORDS = new Set(['additionalProperties', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum']);
const NOT_READ_BY_RULES = new Set(['version', 'name', 'state_dir', 'dump', 'copy', 'restore', 'tools', 'catch_up', 'compare']);

/**
 * Validates (and fills defaults into) `data`; reports every schema error on
 * `doc`. `rulesCanRun`: the errors, if any, leave what the rules read intact.
 */
export function checkSchema(data: unknown, doc: PlanDocument): { valid: boolean; rulesCanRun: boolean } {
  const validate = validator();
  if (validate(data)) return { valid: true, rulesCanRun: true };
  const errors = validate.errors ?? [];
  const rulesCanRun = errors.every((e) => {
    const path = toPath(e.instancePath);
    // A bad value of the right shape (an unknown key, a wrong enum, a number out of range) leaves the structure
    // the rules walk intact: they run too, so every problem shows at once. Their findings about the very values
    // the schema rejected are left out.
    if (VALUE_KEYWORDS.has(e.keyword)) return true;
    if (path.length === 0) return e.keyword === 'required' && NOT_READ_BY_RULES.has((e.params as { missingProperty: string }).missingProperty);
    return NOT_READ_BY_RULES.has(String(path[0]));
  });
  const seen = new Set<string>();
  for (const e of errors) {
    const problem = describe(e);
    if (!problem) continue;
    const id = `${problem.path.join('/')}|${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    doc.problem(problem.path, problem.message, { key: problem.key });
  }
  doc.quietUnder(errors.map((e) => describe(e)?.path ?? toPath(e.instancePath)).filter((p) => p.length > 0));
  return { valid: false, rulesCanRun };
}

function toPath(instancePath: string): Path {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function label(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || 'the plan';
}

function describe(e: ErrorObject): { path: Path; message: string; key?: boolean } | undefined {
  const path = toPath(e.instancePath);
  const where = label(path);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return { path, message: `${where}: missing required property "${p.missingProperty}"`, key: true };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as any)?.properties ?? {});
      const guess = closest(p.additionalProperty, allowed);
      const hint = guess ? ` (did you mean "${guess}"?)` : allowed.length ? ` (expected one of: ${allowed.join(', ')})` : '';
      return { path: [...path, p.additionalProperty], message: `${where}: unknown property "${p.additionalProperty}"${hint}`, key: true };
    }
    case 'enum':
      return { path, message: `${where}: must be one of ${p.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { path, message: `${where}: must be ${JSON.stringify(p.allowedValue)}` };
    case 'type':
      return { path, message: `${where}: must be ${article(p.type)}` };
    case 'pattern': {
      const desc = (e.parentSchema as any)?.description as string | undefined;
      return { path, message: `${where}: does not match ${p.pattern}${desc ? ` (${desc})` : ''}` };
    }
    case 'minItems':
      return { path, message: `${where}: needs at least ${p.limit} item${p.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return { path, message: p.limit === 1 ? `${where}: must not be empty` : `${where}: must be at least ${p.limit} characters` };
    case 'maxLength':
      return { path, message: `${where}: must be at most ${p.limit} characters` };
    case 'minimum':
    case 'maximum':
      return { path, message: `${where}: must be ${e.keyword === 'minimum' ? '>=' : '<='} ${p.limit}` };
    default:
      return { path, message: `${where}: ${e.message ?? 'is invalid'}` };
  }
}

function article(type: string): string {
  const t = type.replace(',', ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
