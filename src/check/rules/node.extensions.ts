import { quoteIdent } from '../../render/quote.js';
import { listed, plural } from '../finding.js';
import { majorOf } from '../session.js';
import { error, warning, type NodeRule, type Verdict } from '../rule.js';

export const rule: NodeRule = {
  id: 'node.extensions',
  target: 'node',
  severity: 'error',
  title: "the source's extensions are available on the node (and created, for a partial dump)",
  docs: {
    why: "Tables and functions restored from the source use them, and CREATE EXTENSION needs the extension's files on the node's server. A dump of chosen schemas or tables does not create extensions at all.",
    fix: "Install the extension's package on the node's server (on Debian: postgresql-<major>-<extension>), or have the provider enable it; for a partial dump, CREATE EXTENSION on the node.",
  },
  check: (f, { plan }) => {
    const source = f.source;
    if (!source || !source.extensions.length) return undefined;
    const rows = f.available_extensions;
    const out: Verdict[] = [];
    const unavailable = source.extensions.filter((e) => !rows.some((x) => x.name === e.name));
    if (unavailable.length) {
      out.push(
        error(
          `${plural(unavailable.length, 'extension')} the source uses ${unavailable.length === 1 ? 'is' : 'are'} not available: ${listed(unavailable.map((e) => `${e.name} (source: ${e.version})`))}`,
          "Tables and functions restored from the source use them, and CREATE EXTENSION needs the extension's files on the node's server.",
          `Install the extension's package on ${f.node.name}'s server (on Debian: postgresql-${majorOf(f.version_num)}-<extension>), or have the provider enable it.`,
        ),
      );
    }
    // A dump of chosen schemas or tables leaves CREATE EXTENSION out: the node must have them already.
    const notCreated = plan.publish.schemas || plan.publish.tables ? source.extensions.filter((e) => rows.some((x) => x.name === e.name && x.installed_version === null)) : [];
    if (notCreated.length) {
      out.push(
        warning(
          `${plural(notCreated.length, 'extension')} the source uses ${notCreated.length === 1 ? 'is' : 'are'} available but not created in this database: ${listed(notCreated.map((e) => e.name))}`,
          'A dump of chosen schemas or tables does not create extensions; if the published tables use their types or functions, the restore fails.',
          listed(notCreated.map((e) => `CREATE EXTENSION ${quoteIdent(e.name)};`), ' '),
        ),
      );
    }
    return out;
  },
};
