// compare.queries: a YAML file of named read queries (schemas/compare-queries.schema.json).
// Every problem at once, at its line and column, before any session opens.
import { Ajv, type ValidateFunction } from 'ajv';
import { readAsset } from '../assets.js';
import { PlanDocument, type Path } from '../plan/document.js';
import { label } from '../plan/schema.js';
import { readPlanFile } from '../plan/load.js';
import { PlanInvalidError } from '../errors.js';
import { byPosition } from '../plan/problem.js';
import type { CompareQueries, Generator } from './queries.types.js';
import { numberParameters, whyNotReadOnly } from './read-only.js';
import type { CompareQuery } from './query.js';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(readAsset('schemas', 'compare-queries.schema.json')));
  return compiled;
}

const GENERATOR_FORMS = 'random: [low, high], choice: [values...], sample: { schema, table, column }, or value: X';

/** The queries of a file; throws PlanInvalidError (exit 2) naming every problem. The SQL parser must be loaded. */
export function loadQueriesFile(path: string, shown: string): CompareQuery[] {
  const doc = new PlanDocument(shown, readPlanFile(path));
  if (!doc.parsed) throw new PlanInvalidError(doc.problems.sort(byPosition));
  const data = doc.toJS();
  const validate = validator();
  if (!validate(data)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const p = e.instancePath.slice(1).split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const inGenerator = p.length >= 4 && p[2] === 'params';
      const at: Path = inGenerator ? p.slice(0, 4) : p;
      const message = inGenerator ? `${label(at)}: a generator is one of ${GENERATOR_FORMS}` : `${label(at)}: ${e.message}`;
      if (!seen.has(message)) doc.problem(at, message, { key: e.keyword === 'additionalProperties' || e.keyword === 'required' });
      seen.add(message);
    }
    throw new PlanInvalidError(doc.problems.sort(byPosition));
  }
  const all = (data as CompareQueries).queries;
  const queries = all.map((q, i) => toQuery(q, i, doc));
  all.forEach((q, i) => {
    if (all.findIndex((x) => x.name === q.name) !== i) doc.problem(['queries', i, 'name'], `queries[${i}].name: "${q.name}" is used by an earlier query`);
  });
  if (doc.problems.some((p) => p.severity === 'error')) throw new PlanInvalidError(doc.problems.sort(byPosition));
  return queries;
}

function toQuery(q: CompareQueries['queries'][number], i: number, doc: PlanDocument): CompareQuery {
  // Parameters first: `:id` is not SQL, `$1` is.
  let numbered: { text: string; names: string[] };
  try {
    numbered = numberParameters(q.sql);
  } catch (e) {
    numbered = { text: q.sql, names: [] };
  }
  const why = whyNotReadOnly(numbered.text);
  if (why) doc.problem(['queries', i, 'sql'], `queries[${i}] (${q.name}): the statement ${why}`);
  const { text, names } = why ? { text: q.sql, names: [] } : numbered;
  const given = q.params ?? {};
  const params: NonNullable<Generator>[] = [];
  for (const n of names) {
    const g = given[n];
    if (g) params.push(g);
    else doc.problem(['queries', i, 'sql'], `queries[${i}] (${q.name}): :${n} has no generator in params`);
  }
  for (const n of Object.keys(given)) {
    if (!names.includes(n)) doc.problem(['queries', i, 'params', n], `queries[${i}].params.${n}: the SQL has no :${n}`, { key: true, severity: 'warning' });
  }
  return { name: q.name, sql: q.sql, text, params };
}
