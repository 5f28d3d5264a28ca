// Before a `migrate ddl` change runs: the names it leaves to search_path are
// resolved (on the source, or on a node where a removal already went
// through), and what only the catalogs can tell is judged: a type change
// that is not a widening, a column or index the replica identity needs, a
// column the nodes could not take rows without. Read-only.
import type pg from 'pg';
import type { ResolvedPlan } from '../plan/plan.js';
import { connect } from '../pg/connect.js';
import { sessionOptionsFor } from '../render/spock-local-ddl.js';
import { wideningRefusal, NARROWING_PROCEDURE, type DdlStatement, type Refusal } from '../ddl/classify.js';
import { resolveSchema, columnType, replicaIdentityColumns, isReplicaIdentityIndex, requiredColumns } from '../pg/ddl-catalog.js';
import { quoteName } from '../render/quote.js';

export type Inspection = { ok: true; statements: DdlStatement[] } | { ok: false; refusal: Refusal };

async function withEvery<T>(plan: ResolvedPlan, fn: (dbs: { where: string; client: pg.Client }[]) => Promise<T>): Promise<T> {
  const dbs: { where: string; client: pg.Client }[] = [];
  try {
    dbs.push({ where: 'source', client: await connect(plan.source.dsn, 'the source') });
    for (const n of plan.nodes) {
      const options = sessionOptionsFor(plan, n.name);
      dbs.push({ where: n.name, client: await connect(n.dsn, `node ${n.name}`, options ? { options } : {}) });
    }
    for (const d of dbs) await d.client.query('SET default_transaction_read_only = on');
    return await fn(dbs);
  } finally {
    for (const d of dbs) await d.client.end().catch(() => undefined);
  }
}

export async function inspectChange(plan: ResolvedPlan, statements: DdlStatement[]): Promise<Inspection> {
  return withEvery(plan, async (dbs) => {
    const out: DdlStatement[] = [];
    for (const st of statements) {
      let schema: string | undefined;
      for (const d of dbs) if ((schema = await resolveSchema(d.client, st))) break;
      const no = (reason: string, procedure: string): Inspection => ({ ok: false, refusal: { n: st.n, statement: st.sql, reason, procedure } });
      if (!schema) {
        // Nothing to resolve against: only a statement that says IF EXISTS may go on (it does nothing anywhere).
        if (/\bif\s+exists\b/i.test(st.sql)) continue;
        return no(`${st.relation.name} is found neither on the source nor on any node (search_path)`, 'Name the schema in the statement, or check the name.');
      }
      const resolved: DdlStatement = { ...st, relation: { schema, name: st.relation.name } };
      const why = await catalogRefusal(plan, dbs, resolved);
      if (why) return no(why.reason, why.procedure);
      out.push(resolved);
    }
    return { ok: true, statements: out };
  });
}

async function catalogRefusal(plan: ResolvedPlan, dbs: { where: string; client: pg.Client }[], st: DdlStatement): Promise<{ reason: string; procedure: string } | undefined> {
  const schema = st.relation.schema!;
  const table = quoteName(schema, st.relation.name);
  const source = dbs[0].client;
  if (st.action === 'widen-column') {
    for (const d of dbs) {
      const t = await columnType(d.client, schema, st.relation.name, st.columns![0]);
      if (!t) return { reason: `column ${st.columns![0]} of ${table} is not on ${d.where === 'source' ? 'the source' : d.where}`, procedure: 'Check the names; `migrate status` shows what differs between the source and the nodes.' };
      const why = wideningRefusal(t, st.newType!);
      if (why) return { reason: `changing the type of ${table}.${st.columns![0]} from ${why}: the nodes could not take every value, or would store it differently`, procedure: NARROWING_PROCEDURE };
    }
  }
  if (st.action === 'drop-column') {
    const key = (await replicaIdentityColumns(source, schema, st.relation.name)).filter((c) => st.columns!.includes(c));
    if (key.length) return { reason: `column ${key.join(', ')} of ${table} is in its primary key or replica identity: without it, UPDATE and DELETE on the source could not be replicated (and would fail)`, procedure: 'Give the table another primary key or replica identity first (by hand, on the source and every node), then drop the column with `migrate ddl`.' };
    for (const d of dbs.slice(1)) {
      const required = await requiredColumns(d.client, schema, st.relation.name, st.columns!);
      if (required.length) {
        return {
          reason: `column ${required.join(', ')} of ${table} is NOT NULL without a default on ${d.where}: once the source drops it, the rows it sends could not be inserted there`,
          procedure: `Run \`migrate ddl -c "ALTER TABLE ${table} ALTER COLUMN ${required[0]} SET DEFAULT ..."\` first (a constant), or drop NOT NULL on each node by hand, then drop the column with \`migrate ddl\`.`,
        };
      }
    }
  }
  if (st.action === 'drop-index' && (await isReplicaIdentityIndex(source, schema, st.relation.name))) {
    return { reason: `index ${quoteName(schema, st.relation.name)} is its table's REPLICA IDENTITY: without it, UPDATE and DELETE on the source could not be replicated`, procedure: 'Set another replica identity first (ALTER TABLE ... REPLICA IDENTITY ..., on the source and every node), then drop the index with `migrate ddl`.' };
  }
  return undefined;
}
