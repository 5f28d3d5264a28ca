import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { sq } from '../context.js';
import { error, type SourceRule } from '../rule.js';

export const rule: SourceRule = {
  id: 'source.select_privilege',
  target: 'source',
  severity: 'error',
  title: "the tool's role may read every table and sequence the dump holds",
  docs: {
    why: 'pg_dump reads every table and sequence it dumps and stops at the first it may not read; the cutover reads the sequences too (a NULL there would silently reset them).',
    fix: 'GRANT SELECT ON each table and sequence to the role, or GRANT pg_read_all_data plus USAGE on the schemas.',
  },
  check: (f) => {
    const tables = f.tables.filter((t) => !t.can_select).map((t) => sq(t.schema, t.name));
    const sequences = f.unreadable_sequences.map((s) => sq(s.schema, s.name));
    if (!tables.length && !sequences.length) return undefined;
    const what = [tables.length ? `${plural(tables.length, 'published table')} (${listed(tables)})` : '', sequences.length ? `${plural(sequences.length, 'sequence')} (${listed(sequences)})` : '']
      .filter(Boolean)
      .join(' and ');
    const u = quoteIdent(f.user);
    return error(
      `role ${f.user} cannot read ${what}`,
      'pg_dump reads every table and sequence it dumps and stops at the first it may not read; the cutover reads the sequences too (a NULL there would silently reset them).',
      listed([...tables.map((t) => `GRANT SELECT ON ${t} TO ${u};`), ...sequences.map((s) => `GRANT SELECT ON SEQUENCE ${s} TO ${u};`)], '\n') + `\n(or GRANT pg_read_all_data TO ${u}; plus USAGE on the schemas)`,
    );
  },
};
