// copy.method stream, the data: every table read once on the source at the
// anchor's snapshot and written into every node at once, copy.jobs tables at
// a time, a large table in ctid ranges read in parallel; then the sequences'
// values and the large objects.
//
// What is exact, and why every table is recopied after a kill. Each node's
// origin starts at the anchor's consistent point C, which is right only for
// rows read at the anchor's snapshot S: rows copied at another snapshot S'
// would miss (or double) the transactions between C and S'. S lives only as
// long as the anchor's connection, that is as long as this migrate process.
// So: a table journaled as copied to a node under S is not copied again while
// S is the snapshot in use (a retry within one run); a table cut off is
// emptied on that node (TRUNCATE in its own COPY transaction) and redone. A
// table copied in ctid ranges is journaled only once every range has committed
// on every node, and is emptied on every node before its first range starts:
// it is redone whole, never one range alone (exact without having to find
// which rows a cut-off range left). Once
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
import { copyLargeObjects, copySequences, enterSnapshot, listRelations, serverMajor, type SourceRelation } from '../pg/stream-catalog.js';
import { copiesLargeObjects, copyInSql, copyOutSql, ctidCondition, qualified, splitTablesTruncateSql, type CopyUnit } from '../render/copy-sql.js';
import { pageRanges } from '../render/copy-ranges.js';
import { CopyProgress, type TableCopied } from './stream-copy-progress.js';
import { watchCopies } from './copy-progress.js';
import { formatBytes } from '../pg/replication-state.js';

/** Journaled per table, once every node has it whole (all its ranges): which nodes, under which snapshot. */
export interface StreamCopyFacts {
  snapshot: string;
  tables: Record<string, TableCopied & { nodes: string[]; format: 'binary' | 'text'; ranges?: number }>;
}

/** One COPY of the queue: a whole table, or one of its ranges. */
interface Unit extends CopyUnit {
  key: string;
  /** The table's size on the source, for the estimate; a range's share of it. */
  bytes: number;
  of?: SplitTable;
}

/** A table copied in ranges: done once the last of them has committed on every node. */
interface SplitTable {
  left: number;
  ranges: number;
  rows: number;
  bytes: number;
  started: number;
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

async function copyOneUnit(u: Unit, source: pg.Client, nodes: { label: string; client: pg.Client }[], progress: CopyProgress): Promise<TableCopied> {
  const t0 = Date.now();
  const sql = copyInSql(u);
  for (const n of nodes) await n.client.query(sql.before);
  const r = await fanOutCopy(source, nodes, copyOutSql(u), sql.copy, { onChunk: (b) => progress.chunk(b) });
  for (const n of nodes) await n.client.query('COMMIT');
  return { rows: r.rows, bytes: r.bytes, ms: Date.now() - t0 };
}

/** The table is journaled once it is whole on every node it went to: a range only adds to its table's count until the last one. */
function unitDone(ctx: TaskContext, state: StreamCopyFacts, progress: CopyProgress, u: Unit, done: TableCopied, nodes: string[]): void {
  const format = u.binary ? 'binary' : 'text';
  let whole: TableCopied & { ranges?: number } = done;
  if (u.of) {
    const t = u.of;
    t.rows += done.rows;
    t.bytes += done.bytes;
    if (--t.left > 0) return;
    whole = { rows: t.rows, bytes: t.bytes, ms: Date.now() - t.started, ranges: t.ranges };
  }
  const have = state.tables[u.key]?.nodes ?? [];
  state.tables[u.key] = { ...whole, format, nodes: [...have, ...nodes] };
  ctx.record({ stream_copy: state });
  progress.tableDone(u.key, u.of ? u.bytes * u.of.ranges : u.bytes, whole);
}

/** One job: its own snapshot session on the source and one session per node, taking the next unit until none is left. */
async function copyJob(ctx: TaskContext, s: Sessions, queue: Unit[], state: StreamCopyFacts, progress: CopyProgress, stop: AbortSignal): Promise<void> {
  const source = await s.open('source');
  await enterSnapshot(source, state.snapshot);
  const clients = new Map<string, pg.Client>();
  for (const n of ctx.plan.nodes) clients.set(n.name, await s.open(n.name));
  for (let u = queue.shift(); u; u = queue.shift()) {
    if (stop.aborted || ctx.signal.aborted) return;
    // A split table was emptied on every node before its ranges started, and its ranges go to every node.
    const have = u.of ? [] : (state.tables[u.key]?.nodes ?? []);
    const nodes = ctx.plan.nodes.filter((n) => !have.includes(n.name)).map((n) => ({ label: `node ${n.name}`, name: n.name, client: clients.get(n.name)! }));
    if (!nodes.length) continue;
    try {
      if (u.of && !u.of.started) u.of.started = Date.now();
      const done = await copyOneUnit(u, source, nodes, progress);
      unitDone(ctx, state, progress, u, done, nodes.map((n) => n.name));
    } catch (e) {
      const where = e instanceof FanOutError ? `${e.where}: ${pgErrorText(e.reason)}` : pgErrorText(e);
      const what = u.range ? `${u.key} (${ctidCondition(u.range)})` : u.key;
      throw new OperationError(ctx.redactor.redact(`copying ${what}: ${where}`), 'Fix the cause and run `migrate apply` again: the copy starts over at a new anchor.');
    }
  }
}

/**
 * The queue, largest table first; a table above copy.split_above_mb becomes
 * consecutive ctid ranges, so every job starts on it at once. A table already
 * whole on every node under this snapshot is left out.
 */
function unitsOf(ctx: TaskContext, tables: SourceRelation[], state: StreamCopyFacts, binaryHere: boolean): Unit[] {
  const units: Unit[] = [];
  for (const t of tables) {
    const key = qualified(t);
    if (ctx.plan.nodes.every((n) => state.tables[key]?.nodes.includes(n.name))) continue;
    const base = { schema: t.schema, name: t.name, columns: t.columns, binary: binaryHere && t.builtin_types, key };
    // A table without a column to name cannot be read by a SELECT of its columns: it goes whole.
    const ranges = t.columns.length ? pageRanges(t.pages, t.bytes, ctx.plan.copy.split_above_mb, ctx.plan.copy.jobs) : [];
    if (!ranges.length) {
      units.push({ ...base, bytes: t.bytes });
      continue;
    }
    const of: SplitTable = { left: ranges.length, ranges: ranges.length, rows: 0, bytes: 0, started: 0 };
    for (const range of ranges) units.push({ ...base, range, bytes: t.bytes / ranges.length, of });
  }
  return units;
}

/** Binary COPY only between servers of one major version (built-in types' OIDs and binary forms are fixed per major version). */
async function binaryAllowed(ctx: TaskContext, source: pg.Client, nodes: pg.Client[]): Promise<boolean> {
  if (!ctx.plan.copy.binary) return false;
  const majors = await Promise.all([source, ...nodes].map(serverMajor));
  return majors.every((m) => m === majors[0]);
}

/** Sequences and large objects, in the catalog's snapshot session. */
async function copyTheRest(ctx: TaskContext, nodes: pg.Client[], source: pg.Client, sequences: SourceRelation[]): Promise<string> {
  await copySequences(source, nodes, sequences);
  const los = copiesLargeObjects(ctx.plan) ? await copyLargeObjects(source, nodes) : 0;
  return `${sequences.length} sequences${los ? `, ${los} large objects` : ''}`;
}

/** Runs copy.jobs jobs over the queue; the first failure cuts the others off and is thrown. */
async function runJobs(ctx: TaskContext, s: Sessions, queue: Unit[], state: StreamCopyFacts, progress: CopyProgress): Promise<void> {
  const stop = new AbortController();
  let first: unknown;
  const jobs = Array.from({ length: Math.max(1, Math.min(ctx.plan.copy.jobs, queue.length)) }, () =>
    copyJob(ctx, s, queue, state, progress, stop.signal).catch((e) => {
      // The first failure is the one to report; the other jobs are cut off at once, which fails them too.
      if (!stop.signal.aborted) first = e;
      stop.abort();
      void s.closeAll();
    }),
  );
  await Promise.all(jobs);
  if (stop.signal.aborted) throw first;
}

export const copyTables: TaskRunner = async (ctx) => {
  const anchor = ctx.shared.get(ANCHOR);
  const snapshot = ctx.facts.anchor?.snapshot;
  if (!anchor || !snapshot) throw new OperationError('the snapshot anchor is not open in this run; the tables cannot be copied without it');
  const s = sessions(ctx);
  try {
    const catalog = await s.open('source');
    await enterSnapshot(catalog, snapshot);
    const nodes = await Promise.all(ctx.plan.nodes.map((n) => s.open(n.name)));
    const relations = await listRelations(catalog, ctx.plan);
    const tables = relations.filter((r) => r.kind === 'r');
    const state = journaled(ctx, snapshot);
    const queue = unitsOf(ctx, tables, state, await binaryAllowed(ctx, catalog, nodes));
    const split = [...new Map(queue.filter((u) => u.of).map((u) => [u.key, u])).values()];
    // Before any range: the ranges of a table write into it from several sessions at once.
    if (split.length) await Promise.all(nodes.map((n) => n.query(splitTablesTruncateSql(split))));
    const progress = new CopyProgress(tables.length, tables.reduce((a, t) => a + t.bytes, 0), (l) => ctx.progress(l));
    // Every node writes at the pace of the slowest, so the first one's rows stand for all.
    const stopWatching = watchCopies(ctx, ctx.plan.nodes[0].name, (l) => progress.copying(l));
    await runJobs(ctx, s, queue, state, progress).finally(stopWatching);
    const rest = await copyTheRest(ctx, nodes, catalog, relations.filter((r) => r.kind === 'S'));
    const tot = progress.totals();
    const binary = Object.values(state.tables).filter((t) => t.format === 'binary').length;
    const how = `${split.length ? `${split.length} in ctid ranges, ` : ''}${binary === tot.tables ? 'all' : binary} in binary`;
    return { summary: `streamed ${tot.tables} tables (${tot.rows} rows, ${formatBytes(tot.bytes)}; ${how}) into ${ctx.plan.nodes.map((n) => n.name).join(', ')} at once in ${(tot.ms / 1000).toFixed(1)} s, and ${rest}` };
  } finally {
    await s.closeAll();
    // Every session that needed the snapshot has imported it or ended: the
    // anchor has served (closing it drops its temporary slot).
    await anchor.close();
    ctx.shared.delete(ANCHOR);
  }
};
