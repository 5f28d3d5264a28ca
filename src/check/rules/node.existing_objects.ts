import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { qualified, sq, type RelKind } from '../context.js';
import { error, info, type NodeRule } from '../rule.js';

const DROP: Record<RelKind, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE', f: 'FOREIGN TABLE' };

export const rule: NodeRule = {
  id: 'node.existing_objects',
  target: 'node',
  severity: 'error',
  title: 'the node holds none of the relations and schemas the restore creates',
  docs: {
    why: 'pg_restore stops at the first object that already exists (it runs with --exit-on-error), and rows already in a table would sit beside the restored ones. Once the journal says this plan restored the node, its objects are expected.',
    fix: 'Restore into an empty database. If an earlier run of this plan restored them: migrate abort PLAN --drop-data. Otherwise drop them on the node if they are not needed.',
  },
  check: (f, ctx) => {
    if (!f.source) return undefined;
    if (ctx.started.has(`restore:${f.node.name}`)) return info('the restore of this plan has started on this node', "Objects the source also has are the restore's own (the journal says it ran); a rerun of apply restores over them.");
    const rels = f.existing_relations;
    const schemas = f.existing_schemas;
    if (!rels.length && !schemas.length) return undefined;
    const tables = rels.filter((x) => x.kind === 'r' || x.kind === 'p');
    const what = [
      tables.length ? `${plural(tables.length, 'table')} (${listed(tables.map((x) => qualified(x.schema, x.name)))})` : '',
      rels.length > tables.length ? `${plural(rels.length - tables.length, 'other relation')} (${listed(rels.filter((x) => !tables.includes(x)).map((x) => qualified(x.schema, x.name)))})` : '',
      schemas.length ? `${plural(schemas.length, 'schema')} (${listed(schemas)})` : '',
    ].filter(Boolean);
    return error(
      `already holds ${what.join(', ')} that the restore would create`,
      'pg_restore stops at the first object that already exists (it runs with --exit-on-error), and rows already in a table would sit beside the restored ones.',
      `Restore into an empty database. If an earlier run of this plan restored them: migrate abort ${ctx.loaded.file} --drop-data. Otherwise, on ${f.node.name}, if they are not needed:\n` +
        listed([...rels.map((x) => `DROP ${DROP[x.kind]} ${sq(x.schema, x.name)};`), ...schemas.map((s) => `DROP SCHEMA ${quoteIdent(s)};`)], '\n'),
    );
  },
};
