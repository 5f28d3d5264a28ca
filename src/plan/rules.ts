// What the schema cannot say: names that must refer to each other, be unique,
// or fit PostgreSQL's limits. Each rule reports at the value it is about.
import type { PlanDocument } from './document.js';
import type { ResolvedPlan } from './plan.js';
import { hookTargets } from './graph.js';
import { closest } from './spelling.js';
import { ConninfoError, LIBPQ_KEYWORDS, isUri, parseConninfo } from './conninfo.js';

const NAMEDATALEN = 63; // bytes; PostgreSQL truncates longer names silently.
const SLOT_NAME = /^[a-z0-9_]+$/;

export function checkRules(plan: ResolvedPlan, doc: PlanDocument): void {
  const nodeNames = plan.nodes.map((n) => n.name);
  unique(doc, plan.nodes.map((n, i) => [n.name, ['nodes', i, 'name']]), 'node name');

  checkDsn(doc, plan.source.dsn, ['source', 'dsn']);
  if (plan.source.subscriber_dsn) checkDsn(doc, plan.source.subscriber_dsn, ['source', 'subscriber_dsn']);
  plan.nodes.forEach((n, i) => {
    checkDsn(doc, n.dsn, ['nodes', i, 'dsn']);
    if (n.source_dsn) checkDsn(doc, n.source_dsn, ['nodes', i, 'source_dsn']);
    identifier(doc, n.replication_set, ['nodes', i, 'replication_set'], 'replication set');
  });

  const covered = new Map<string, number>();
  plan.replication.forEach((r, i) => {
    const at = (k: string) => ['replication', i, k];
    if (!nodeNames.includes(r.node)) {
      const guess = closest(r.node, nodeNames);
      doc.problem(at('node'), `replication[${i}].node: no node named "${r.node}"${guess ? ` (did you mean "${guess}"?)` : ` (nodes: ${nodeNames.join(', ')})`}`);
    } else if (covered.has(r.node)) {
      doc.problem(at('node'), `replication[${i}].node: node "${r.node}" already has a replication entry (replication[${covered.get(r.node)}]); two streams into one node would apply every change twice`);
    } else covered.set(r.node, i);
    identifier(doc, r.publication, at('publication'), 'publication name');
    identifier(doc, r.subscription, at('subscription'), 'subscription name');
    identifier(doc, r.slot, at('slot'), 'slot name');
    if (!SLOT_NAME.test(r.slot)) {
      doc.problem(at('slot'), `replication[${i}].slot: "${r.slot}" is not a valid slot name: PostgreSQL allows only lower case letters, digits and underscores`);
    }
  });
  plan.nodes.forEach((n, i) => {
    if (!covered.has(n.name)) doc.problem(['nodes', i, 'name'], `nodes[${i}]: node "${n.name}" has no replication entry, so it would never receive changes`);
  });
  unique(doc, plan.replication.map((r, i) => [r.slot, ['replication', i, 'slot']]), 'slot', 'two nodes cannot share a slot: each would see only part of the stream');
  unique(doc, plan.replication.map((r, i) => [r.subscription, ['replication', i, 'subscription']]), 'subscription name');
  unique(doc, plan.replication.map((r, i) => [r.publication, ['replication', i, 'publication']]), 'publication name');

  if (plan.publish.schemas && plan.publish.tables) {
    doc.problem(['publish', 'tables'], 'publish: give schemas or tables, not both', { key: true });
  }
  plan.publish.schemas?.forEach((s, i) => identifier(doc, s, ['publish', 'schemas', i], 'schema name'));
  plan.publish.tables?.forEach((t, i) => {
    for (const part of t.split('.')) identifier(doc, part, ['publish', 'tables', i], 'table name part');
  });

  checkCutover(plan, doc);
  checkHooks(plan, doc, nodeNames);
}

function checkDsn(doc: PlanDocument, dsn: string, path: (string | number)[]): void {
  try {
    const info = parseConninfo(dsn);
    for (const key of Object.keys(info)) {
      // `ssl=true` is the one URI parameter libpq takes that is not a keyword (it means sslmode=require).
      if (LIBPQ_KEYWORDS.includes(key) || (key === 'ssl' && isUri(dsn))) continue;
      const near = closest(key, LIBPQ_KEYWORDS);
      doc.problem(path, `${labelOf(path)}: unknown connection keyword "${key}"${near ? ` (did you mean "${near}"?)` : ''}; libpq would refuse to connect`);
    }
    if (info.password && passwordWrittenDown(doc.rawValue(path))) {
      doc.problem(path, `${labelOf(path)}: a password is written in the plan file; use \${ENV_VAR}, ~/.pgpass or PGPASSWORD so it never reaches git`, { severity: 'warning' });
    }
  } catch (e) {
    if (e instanceof ConninfoError) doc.problem(path, `${labelOf(path)}: not a valid connection string: ${e.message}`);
    else throw e;
  }
}

/** Whether the DSN as written in the file holds a password of its own, not one from ${...}. */
function passwordWrittenDown(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  // Each reference stands for some value; a password that is not one is literal.
  const marker = 'ENVREF';
  try {
    const password = parseConninfo(raw.replace(/\$\$|\$\{[^}]*\}/g, (m) => (m === '$$' ? '$' : marker))).password;
    return password !== undefined && !password.includes(marker);
  } catch {
    return false;
  }
}

function identifier(doc: PlanDocument, name: string, path: (string | number)[], what: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > NAMEDATALEN) {
    doc.problem(path, `${labelOf(path)}: ${what} "${name}" is ${bytes} bytes; PostgreSQL names are at most ${NAMEDATALEN} bytes and longer ones are silently truncated`);
  }
}

function unique(doc: PlanDocument, entries: [string, (string | number)[]][], what: string, why?: string): void {
  const first = new Map<string, (string | number)[]>();
  for (const [value, path] of entries) {
    const prior = first.get(value);
    if (prior) doc.problem(path, `${labelOf(path)}: duplicate ${what} "${value}" (first at ${labelOf(prior)})${why ? `: ${why}` : ''}`);
    else first.set(value, path);
  }
}

function labelOf(path: (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
}

function checkCutover(plan: ResolvedPlan, doc: PlanDocument): void {
  const c = plan.cutover;
  if ((c.freeze === 'hook' || c.freeze === 'both') && !c.freeze_hook) {
    doc.problem(['cutover', 'freeze'], `cutover.freeze: "${c.freeze}" needs cutover.freeze_hook`);
  }
  if (c.freeze_hook && !c.unfreeze_hook) {
    doc.problem(['cutover', 'freeze_hook'], 'cutover.freeze_hook: needs cutover.unfreeze_hook, so that a failed cutover can let writes through again', { key: true });
  }
  const writers = plan.nodes.length;
  if (c.sequences?.strategy === 'copy' && writers > 1 && !c.sequences.allow_copy_on_multi_master) {
    doc.problem(['cutover', 'sequences', 'strategy'], `cutover.sequences.strategy: "copy" gives ${writers} writable nodes the same next values, so their inserts collide; use "interleave" or "snowflake", or set allow_copy_on_multi_master: true if only one node will take writes`);
  }
  if (c.sequences?.strategy === 'snowflake' && plan.nodes.some((n) => n.kind !== 'pgedge')) {
    doc.problem(['cutover', 'sequences', 'strategy'], 'cutover.sequences.strategy: "snowflake" needs pgEdge nodes (kind: pgedge) with the snowflake extension');
  }
  for (const key of ['freeze_hook', 'unfreeze_hook', 'switch_hook'] as const) {
    const a = c[key];
    if (!a) continue;
    exactlyOne(doc, ['cutover', key], { ...a }, ['run', 'sql']);
    checkOn(doc, ['cutover', key], a, plan.nodes.map((n) => n.name));
  }
  const fallbackNode = c.fallback?.node;
  if (fallbackNode !== undefined && !plan.nodes.some((n) => n.name === fallbackNode)) {
    const guess = closest(fallbackNode, plan.nodes.map((n) => n.name));
    doc.problem(['cutover', 'fallback', 'node'], `cutover.fallback.node: "${fallbackNode}" is not a node of the plan${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  const back = plan.rollback?.switch_hook;
  if (back) {
    exactlyOne(doc, ['rollback', 'switch_hook'], { ...back }, ['run', 'sql']);
    checkOn(doc, ['rollback', 'switch_hook'], back, plan.nodes.map((n) => n.name));
    if (back.sql && back.on === 'nodes') doc.problem(['rollback', 'switch_hook', 'on'], 'rollback.switch_hook.on: runs in one place: source or a node name');
  }
  if (plan.rollback && !c.fallback?.enabled) doc.problem(['rollback'], 'rollback: needs cutover.fallback.enabled: true (the reverse stream it rolls back through)', { severity: 'warning', key: true });
}

/** Where an action's sql runs must exist; on means nothing to a shell command. */
function checkOn(doc: PlanDocument, path: (string | number)[], a: { run?: string; on?: string }, nodeNames: string[]): void {
  const on = a.on ?? 'source';
  if (on !== 'source' && on !== 'nodes' && !nodeNames.includes(on)) {
    const guess = closest(on, ['source', 'nodes', ...nodeNames]);
    doc.problem([...path, 'on'], `${labelOf([...path, 'on'])}: "${on}" is not source, nodes, or a node name${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  if (a.run && doc.rawValue([...path, 'on']) !== undefined) {
    doc.problem([...path, 'on'], `${labelOf([...path, 'on'])}: applies to sql only; a run command runs on the machine running migrate`, { severity: 'warning' });
  }
}

function checkHooks(plan: ResolvedPlan, doc: PlanDocument, nodeNames: string[]): void {
  const targets = hookTargets(plan);
  plan.hooks.forEach((h, i) => {
    const at = (k: string) => ['hooks', i, k];
    exactlyOne(doc, ['hooks', i], { ...h }, ['before', 'after']);
    exactlyOne(doc, ['hooks', i], { ...h }, ['run', 'sql']);
    for (const k of ['before', 'after'] as const) {
      const target = h[k];
      if (target !== undefined && !targets.has(target)) {
        const guess = closest(target, [...targets.keys()]);
        doc.problem(at(k), `hooks[${i}].${k}: no task, phase or stage "${target}"${guess ? ` (did you mean "${guess}"?)` : ''}; see \`migrate plan\` for task ids`);
      }
    }
    checkOn(doc, ['hooks', i], h, nodeNames);
  });
}

function exactlyOne(doc: PlanDocument, path: (string | number)[], obj: Record<string, unknown>, keys: string[]): void {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length === 1) return;
  const where = labelOf(path);
  if (present.length === 0) doc.problem(path, `${where}: needs one of ${keys.join(' or ')}`, { key: true });
  else doc.problem([...path, present[1]], `${where}: give ${keys.join(' or ')}, not both`, { key: true });
}
