// copy.method stream, the data: every table read once on the source at the
// anchor's snapshot and written into every node at once, copy.jobs tables at
// a time; then the sequences' values and the large objects.
//
// What is exact, and why every table is recopied after a kill. Each node's
// origin starts at the anchor's consistent point C, which is right only for
// rows read at the anchor's snapshot S: rows copied at another snapshot S'
// would miss (or double) the transactions between C and S'. S lives only as
// long as the anchor's connection, that is as long as this migrate process.
// So: a table journaled as copied to a node under S is not copied again while
// S is the snapshot in use (a retry within one run); a table cut off is
// emptied on that node (TRUNCATE in its own COPY transaction) and redone. Once
// S is gone (the process was killed or stopped), the graph takes a new anchor,
// re-dumps the schema, drops and recreates the tables on every node and
// recopies every table at the new snapshot: mixing tables of two snapshots
// under one origin position is never exact.
import type pg from 'pg';
import type { TaskRunner, TaskContext } from './context.js';
import { ANCHOR } from './export-snapshot.js';
import { OperationError } from '../errors.js';
import { connect, pgErrorText } from '../pg/connect.js';
import { sessionOptionsFor } from '../render/spock-local-ddl.js';
import { fanOutCopy, FanOutError } from '../pg/copy-fan-out.js';
import { copyLargeObjects, copySequences, enterSnapshot, listRelations, type SourceRelation } from '../pg/stream-catalog.js';
import { copiesLargeObjects, copyInSql, copyOutSql, qualified } from '../render/copy-sql.js';
import { CopyProgress, type TableCopied } from './stream-copy-progress.js';
import { formatBytes } from '../pg/replication-state.js';

/** Journaled per table: which nodes have it, under which snapshot. */
export interface StreamCopyFacts {
  snapshot: string;
  tables: Record<string, TableCopied & { nodes: string[] }>;
}

interface Sessions {
  open(where: string): Promise<pg.Client>;
  closeAll(): Promise<void>;
}

/** Connections of this task beyond ctx.db's one per database: every job has its own. */
function sessions(ctx: TaskContext): Sessions {
  const all: pg.Client[] = [];
  const dsn = (w: string) => (w === 'source' ? ctx.plan.source.dsn : ctx.plan.nodes.find((n) => n.name === w)!.dsn);
  let closed = false;
  const closeAll = async () => {
    closed = true;
    await Promise.all(all.splice(0).map((c) => c.end().catch(() => undefined)));
  };
  const onAbort = () => void closeAll();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  return {
    open: async (w) => {
      // On a pgEdge node, as every session of the migration: Spock carries none of this node's DDL (the TRUNCATE) to the others.
      const options = sessionOptionsFor(ctx.plan, w);
      const c = await connect(dsn(w), w === 'source' ? 'the source' : `node ${w}`, options ? { options } : {});
      all.push(c);
      // A session opened after the copy was cut off is closed at once, and its user fails on it.
      if (ctx.signal.aborted || closed) await closeAll();
      return c;
    },
    closeAll: async () => {
      ctx.signal.removeEventListener('abort', onAbort);
      await closeAll();
    },
  };
}

function journaled(ctx: TaskContext, snapshot: string): StreamCopyFacts {
  const prior = ctx.facts.stream_copy as StreamCopyFacts | undefined;
  return prior?.snapshot === snapshot ? prior : { snapshot, tables: {} };
}

async function copyOneTable(t: SourceRelation, source: pg.Client, nodes: { label: string; name: string; client: pg.Client }[], progress: CopyProgress): Promise<TableCopied> {
  const t0 = Date.now();
  const sql = copyInSql(t);
  for (const n of nodes) await n.client.query(sql.before);
  const r = await fanOutCopy(source, nodes, copyOutSql(t), sql.copy, { onChunk: (b) => progress.chunk(b) });
  for (const n of nodes) await n.client.query('COMMIT');
  return { rows: r.rows, bytes: r.bytes, ms: Date.now() - t0 };
}

/** One job: its own snapshot session on the source and one session per node, taking the next table until none is left. */
async function copyJob(ctx: TaskContext, s: Sessions, queue: SourceRelation[], state: StreamCopyFacts, progress: CopyProgress, stop: AbortSignal): Promise<void> {
  const source = await s.open('source');
  await enterSnapshot(source, state.snapshot);
  const clients = new Map<string, pg.Client>();
  for (const n of ctx.plan.nodes) clients.set(n.name, await s.open(n.name));
  for (let t = queue.shift(); t; t = queue.shift()) {
    if (stop.aborted || ctx.signal.aborted) return;
    const key = qualified(t);
    const have = state.tables[key]?.nodes ?? [];
    const nodes = ctx.plan.nodes.filter((n) => !have.includes(n.name)).map((n) => ({ label: `node ${n.name}`, name: n.name, client: clients.get(n.name)! }));
    if (!nodes.length) continue;
    try {
      const done = await copyOneTable(t, source, nodes, progress);
      state.tables[key] = { ...done, nodes: [...have, ...nodes.map((n) => n.name)] };
      ctx.record({ stream_copy: state });
      progress.tableDone(key, t.bytes, done);
    } catch (e) {
      const where = e instanceof FanOutError ? `${e.where}: ${pgErrorText(e.reason)}` : pgErrorText(e);
      throw new OperationError(ctx.redactor.redact(`copying ${key}: ${where}`), 'Fix the cause and run `migrate apply` again: the copy starts over at a new anchor.');
    }
  }
}

/** Sequences and large objects, in one more snapshot session. */
async function copyTheRest(ctx: TaskContext, s: Sessions, source: pg.Client, sequences: SourceRelation[]): Promise<string> {
  const nodes = await Promise.all(ctx.plan.nodes.map((n) => s.open(n.name)));
  await copySequences(source, nodes, sequences);
  const los = copiesLargeObjects(ctx.plan) ? await copyLargeObjects(source, nodes) : 0;
  return `${sequences.length} sequences${los ? `, ${los} large objects` : ''}`;
}

export const copyTables: TaskRunner = async (ctx) => {
  const anchor = ctx.shared.get(ANCHOR);
  const snapshot = ctx.facts.anchor?.snapshot;
  if (!anchor || !snapshot) throw new OperationError('the snapshot anchor is not open in this run; the tables cannot be copied without it');
  const s = sessions(ctx);
  try {
    const catalog = await s.open('source');
    await enterSnapshot(catalog, snapshot);
    const relations = await listRelations(catalog, ctx.plan);
    const tables = relations.filter((r) => r.kind === 'r');
    const state = journaled(ctx, snapshot);
    const progress = new CopyProgress(tables.length, tables.reduce((a, t) => a + t.bytes, 0), (l) => ctx.progress(l));
    const stop = new AbortController();
    const queue = [...tables];
    let first: unknown;
    const jobs = Array.from({ length: Math.max(1, Math.min(ctx.plan.copy.jobs, tables.length)) }, () =>
      copyJob(ctx, s, queue, state, progress, stop.signal).catch((e) => {
        // The first failure is the one to report; the other jobs are cut off at once, which fails them too.
        if (!stop.signal.aborted) first = e;
        stop.abort();
        void s.closeAll();
      }),
    );
    await Promise.all(jobs);
    if (stop.signal.aborted) throw first;
    const rest = await copyTheRest(ctx, s, catalog, relations.filter((r) => r.kind === 'S'));
    const tot = progress.totals();
    return { summary: `streamed ${tot.tables} tables (${tot.rows} rows, ${formatBytes(tot.bytes)}) into ${ctx.plan.nodes.map((n) => n.name).join(', ')} at once in ${(tot.ms / 1000).toFixed(1)} s, and ${rest}` };
  } finally {
    await s.closeAll();
    // Every session that needed the snapshot has imported it or ended: the
    // anchor has served (closing it drops its temporary slot).
    await anchor.close();
    ctx.shared.delete(ANCHOR);
  }
};
