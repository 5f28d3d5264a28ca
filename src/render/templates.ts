// Handlebars over templates/, strict: a variable a template names but the
// caller did not give is an error, never an empty string in someone's SQL.
import Handlebars from 'handlebars';
import { readAsset } from '../assets.js';
import { quoteIdent, quoteLiteral, quoteQualified } from './quote.js';

export class TemplateError extends Error {}

interface Span {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

/** A helper's argument that was not given; renderTemplate names it from the template's text. */
class MissingArgument extends Error {
  constructor(readonly loc: Span | undefined) {
    super('has no value');
  }
}

// Strict mode covers {{name}} but not a helper's arguments: {{ident name}}
// with no name would print "undefined" into the SQL. These helpers refuse.
function required(v: unknown, options: Handlebars.HelperOptions): string {
  if (v === undefined || v === null) throw new MissingArgument((options as { loc?: Span }).loc);
  return String(v);
}

const hb = Handlebars.create();
hb.registerHelper('ident', (v: unknown, options: Handlebars.HelperOptions) => quoteIdent(required(v, options)));
hb.registerHelper('literal', (v: unknown, options: Handlebars.HelperOptions) => quoteLiteral(required(v, options)));
hb.registerHelper('qualified', (v: unknown, options: Handlebars.HelperOptions) => quoteQualified(required(v, options)));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('json', (v: unknown) => JSON.stringify(v, null, 2));
hb.registerHelper('inc', (v: unknown, options: Handlebars.HelperOptions) => Number(required(v, options)) + 1);
hb.registerHelper('lower', (v: unknown, options: Handlebars.HelperOptions) => required(v, options).toLowerCase());

const cache = new Map<string, { source: string; render: Handlebars.TemplateDelegate }>();

export function renderTemplate(name: string, data: object): string {
  let t = cache.get(name);
  if (!t) {
    const source = readAsset('templates', name);
    t = { source, render: hb.compile(source, { strict: true, noEscape: true }) };
    cache.set(name, t);
  }
  try {
    return t.render(data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  } catch (e) {
    if (e instanceof MissingArgument && e.loc) {
      const { start, end } = e.loc;
      const line = t.source.split('\n')[start.line - 1] ?? '';
      const text = start.line === end.line ? line.slice(start.column, end.column) : `${line.slice(start.column)}...`;
      throw new TemplateError(`template ${name}:${start.line}:${start.column + 1}: ${text} has no value`);
    }
    throw new TemplateError(`template ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function renderSql(name: string, data: object): string {
  return renderTemplate(`sql/${name}`, data).trim();
}
