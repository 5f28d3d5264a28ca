// Handlebars over templates/, strict: a variable a template names but the
// caller did not give is an error, never an empty string in someone's SQL.
import Handlebars from 'handlebars';
import { readAsset } from '../assets.js';
import { quoteIdent, quoteLiteral, quoteQualified } from './quote.js';

const hb = Handlebars.create();
hb.registerHelper('ident', (v: unknown) => quoteIdent(String(v)));
hb.registerHelper('literal', (v: unknown) => quoteLiteral(String(v)));
hb.registerHelper('qualified', (v: unknown) => quoteQualified(String(v)));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('json', (v: unknown) => JSON.stringify(v, null, 2));
hb.registerHelper('inc', (v: unknown) => Number(v) + 1);
hb.registerHelper('lower', (v: unknown) => String(v).toLowerCase());

const cache = new Map<string, Handlebars.TemplateDelegate>();

export class TemplateError extends Error {}

export function renderTemplate(name: string, data: object): string {
  let t = cache.get(name);
  if (!t) {
    t = hb.compile(readAsset('templates', name), { strict: true, noEscape: true });
    cache.set(name, t);
  }
  try {
    return t(data).replace(/\n{3,}/g, '\n\n').trim() + '\n';
  } catch (e) {
    throw new TemplateError(`template ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function renderSql(name: string, data: object): string {
  return renderTemplate(`sql/${name}`, data).trim();
}
