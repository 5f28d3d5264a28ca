// The comparison of nodes with the source, computed inside the databases.
//
// 1. Cut: for each published table with a key, the source's keys are sampled
//    into key ranges of about RANGE_ROWS rows.
// 2. First pass: every side (source and each node) computes, per key range,
//    count(*) and the sum of a 64-bit hash of each row, in one scan of the
//    table. A large table is split into heap chunks (TID range scans, PG 14+)
//    read in parallel under one exported snapshot per side, so each side is
//    one consistent moment, read once, in order, whatever the key's physical
//    correlation. The sides' snapshots are taken together; a table shared by
//    several nodes is read once on the source for all of them.
// 3. Narrowing: a range that differs is cut again (into `split`, 16,
//    sub-ranges from the keys of its larger side) and re-compared on both
//    sides at once, through the key's index, down to ranges of at most
//    `leafRows` (100) rows.
// 4. A small range that still differs is compared again after short waits:
//    a change still on its way lands in between. What differs after all of
//    them is reported, with the keys of the rows that differ, when one side
//    stood still meanwhile (the source did not change it: the node is wrong;
//    the node did not change while the source did: the node is not applying).
//    When both kept changing, writes were in flight at every look: the range
//    is reported busy, unconfirmed, not as a difference.
// Tables without a key are compared whole, and re-compared whole.
import type pg from 'pg';
import { connect, pgErrorText } from '../pg/connect.js';
import { InterruptedError } from '../errors.js';
import { SessionPool } from './pool.js';
import { readPublishedTables, publicationExists, shapeSignature, type TableShape, type KeyValue, type KeyRange } from './table-shape.js';
import { bucketQuery, tileBoundsQuery, rowHashesQuery, sortKeysQuery, tablePagesQuery, importSnapshotSql, BEGIN_SNAPSHOT, type Chunk, type Query, type Side } from './sql.js';
import { tableStatus, type VerifyResult, type NodeResult, type TableResult, type RangeDifference, type RowDifference } from './result.js';

export interface VerifyTarget {
  node: string;
  dsn: string;
  publication: string;
}

export interface VerifySettings {
  /** Key ranges per table in the first pass (default: one per RANGE_ROWS rows). */
  ranges?: number;
  /** Sessions per database. */
  jobs?: number;
  leafRows?: number;
  split?: number;
  /** Waits before each re-check of a small range (or a keyless table) that differs. */
  recheckDelaysMs?: number[];
  /** Differing ranges narrowed and reported per table and node; past it the table is only said to differ more. */
  maxDifferences?: number;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** Opens a source session; default a new connection (the cutover hands out sessions opened before its freeze). */
  openSource?: () => Promise<pg.Client>;
}

const RANGE_ROWS = 10_000;
const MAX_RANGES = 1_000;
// Bind parameters per statement are limited to 65535: bounds times key columns stay well below.
const MAX_BOUND_PARAMS = 30_000;
// Keys sampled per first-pass range: enough for even ranges, few enough to read by TABLESAMPLE.
const SAMPLE_PER_RANGE = 20;
// Up to this many rows the first cut reads every key (through the index) instead of a sample.
const SAMPLE_ALL_BELOW = 100_000;
// 8 MB of heap: below two of these a table is one scan.
const MIN_CHUNK_PAGES = 1024;
const SETTLE_MS = 250;

type Agg = { n: bigint; h: bigint };
type Buckets = Map<number, Agg>;

interface NodeTable {
  node: string;
  shape: TableShape;
  result: TableResult;
  confirmed: number;
}

interface Task {
  kind: 'narrow' | 'whole';
  nt: NodeTable;
  range: KeyRange;
  src: Agg;
  dst: Agg;
  notBefore: number;
  /** The range's position: its index in the first cut, then in each narrower cut. Comparing paths orders ranges by key. */
  path: number[];
}

const ZERO: Agg = { n: 0n, h: 0n };

function chooseRanges(t: TableShape, asked: number | undefined): number {
  if (!t.key) return 1;
  const wanted = asked ?? Math.ceil(t.estimatedRows / RANGE_ROWS);
  return Math.max(1, Math.min(wanted, MAX_RANGES, Math.floor(MAX_BOUND_PARAMS / t.key.columns.length) + 1));
}

/** Heap chunks of one side's table; one whole-table scan where chunks cannot be used or do not pay. */
export function heapChunks(pages: number, serverVersion: number, jobs: number): Chunk[] {
  if (serverVersion < 140000 || jobs < 2 || pages < 2 * MIN_CHUNK_PAGES) return [{}];
  const n = Math.min(jobs, Math.floor(pages / MIN_CHUNK_PAGES));
  const per = Math.ceil(pages / n);
  // The last chunk is open-ended: pages added since the size was read belong to it.
  return Array.from({ length: n }, (_, i) => ({ fromPage: i * per, toPage: i === n - 1 ? undefined : (i + 1) * per }));
}

function toBuckets(rows: { b: number; n: string; h: string | null }[], into: Buckets = new Map()): Buckets {
  for (const r of rows) {
    const prev = into.get(r.b) ?? ZERO;
    into.set(r.b, { n: prev.n + BigInt(r.n), h: prev.h + BigInt(r.h ?? '0') });
  }
  return into;
}

function total(b: Buckets): bigint {
  let n = 0n;
  for (const v of b.values()) n += v.n;
  return n;
}

function same(a: Agg, b: Agg): boolean {
  return a.n === b.n && a.h === b.h;
}

function keyOf(row: Record<string, string>, t: TableShape): KeyValue {
  return t.key!.columns.map((_, i) => row[`k${i}`]);
}

/** The range of bucket `b` among ranges cut by `bounds` inside `range`. */
function subRange(range: KeyRange, bounds: KeyValue[], b: number): KeyRange {
  return { lower: b === 0 ? range.lower : bounds[b - 1], upper: b === bounds.length ? range.upper : bounds[b] };
}

function comparePaths(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

async function run(c: pg.Client, q: Query): Promise<Record<string, any>[]> {
  return (await c.query({ text: q.text, values: q.values })).rows;
}

/** Bounded parallel work over a queue that the work itself may extend. */
async function drainQueue<T>(initial: T[], concurrency: number, work: (item: T, push: (t: T) => void) => Promise<void>): Promise<void> {
  const queue = [...initial];
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const next = () => {
      if (failed) return;
      if (!queue.length && !active) return resolve();
      while (active < concurrency && queue.length) {
        const item = queue.shift()!;
        active++;
        work(item, (t) => queue.push(t)).then(
          () => {
            active--;
            next();
          },
          (e) => {
            failed = true;
            reject(e);
          },
        );
      }
    };
    next();
  });
}

export async function verifyNodes(sourceDsn: string, targets: VerifyTarget[], settings: VerifySettings = {}): Promise<VerifyResult> {
  const started = Date.now();
  const jobs = Math.max(1, settings.jobs ?? 4);
  const leafRows = settings.leafRows ?? 100;
  const split = Math.max(2, settings.split ?? 16);
  const delays = settings.recheckDelaysMs ?? [100, 250, 500, 1000];
  const maxDifferences = settings.maxDifferences ?? 20;
  const signal = settings.signal;
  const progress = settings.progress ?? (() => undefined);

  const source = new SessionPool('the source', settings.openSource ?? (() => connect(sourceDsn, 'the source')), jobs);
  const pools = new Map(targets.map((t) => [t.node, new SessionPool(`node ${t.node}`, () => connect(t.dsn, `node ${t.node}`), jobs)]));
  const closeAll = () => Promise.all([source.close(), ...[...pools.values()].map((p) => p.close())]);
  const onAbort = () => void closeAll();
  signal?.addEventListener('abort', onAbort, { once: true });
  const checkSignal = () => {
    if (signal?.aborted) throw new InterruptedError();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const wake = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
    });

  // Differences as found, with their paths; put in key order at the end.
  const found = new Map<TableResult, { path: number[]; difference: RangeDifference }[]>();
  const busyFound = new Map<TableResult, { path: number[]; difference: RangeDifference }[]>();
  const nodes: NodeResult[] = targets.map((t) => ({ node: t.node, publication: t.publication, equal: false, tables: [] }));
  const nodeResult = (node: string) => nodes.find((n) => n.node === node)!;

  try {
    // The tables each node receives, from the source's catalog.
    const shapesByPublication = new Map<string, TableShape[] | string>();
    await source.with(async (c) => {
      for (const pub of new Set(targets.map((t) => t.publication))) {
        shapesByPublication.set(pub, (await publicationExists(c, pub)) ? await readPublishedTables(c, pub) : `publication ${pub} does not exist on the source`);
      }
    });
    // One comparison per distinct table shape, shared by the nodes that receive it: the source is read once for all of them.
    const jobsBySignature = new Map<string, { shape: TableShape; nodes: NodeTable[] }>();
    for (const t of targets) {
      const shapes = shapesByPublication.get(t.publication)!;
      if (typeof shapes === 'string') {
        nodeResult(t.node).error = shapes;
        continue;
      }
      for (const shape of shapes) {
        const sig = shapeSignature(shape);
        if (!jobsBySignature.has(sig)) jobsBySignature.set(sig, { shape, nodes: [] });
        const result: TableResult = {
          table: shape.display,
          compared: shape.key ? 'key ranges' : 'whole table',
          key: shape.key?.columns.map((c) => c.name) ?? null,
          key_via: shape.key?.via ?? null,
          ranges: 1,
          rows_source: null,
          rows_node: null,
          status: 'equal',
          settled: 0,
          differences: [],
          busy: [],
          differences_truncated: false,
        };
        nodeResult(t.node).tables.push(result);
        jobsBySignature.get(sig)!.nodes.push({ node: t.node, shape, result, confirmed: 0 });
      }
    }
    const work = [...jobsBySignature.values()];
    checkSignal();

    // Table sizes on every side; a node that cannot be reached is reported and left out.
    const pagesOf = new Map<string, Map<TableShape, number | null>>();
    const readPages = async (pool: SessionPool, shapes: TableShape[]) => {
      await pool.warm();
      const rows = shapes.length ? await pool.with((c) => run(c, tablePagesQuery(shapes))) : [];
      return new Map(shapes.map((s, i) => [s, rows[i]?.pages === null || rows[i]?.pages === undefined ? null : Number(rows[i].pages)]));
    };
    pagesOf.set('source', await readPages(source, work.map((w) => w.shape)));
    await Promise.all(
      targets.map(async (t) => {
        const n = nodeResult(t.node);
        if (n.error) return;
        try {
          pagesOf.set(t.node, await readPages(pools.get(t.node)!, work.filter((w) => w.nodes.some((x) => x.node === t.node)).map((w) => w.shape)));
        } catch (e) {
          n.error = pgErrorText(e);
        }
      }),
    );
    for (const w of work) {
      for (const nt of w.nodes) {
        if (nodeResult(nt.node).error) nt.result.status = 'error';
        else if (pagesOf.get(nt.node)!.get(w.shape) === null) {
          nt.result.status = 'missing';
          nt.result.error = `${w.shape.display} does not exist on ${nt.node}`;
        }
      }
    }
    checkSignal();

    // 1. Cut every keyed table into ranges from a sample of the source's keys.
    const bounds = new Map<TableShape, KeyValue[]>();
    await drainQueue(work, jobs, async (w) => {
      const ranges = chooseRanges(w.shape, settings.ranges);
      if (ranges < 2) {
        bounds.set(w.shape, []);
        return;
      }
      const est = w.shape.estimatedRows;
      const percent = est <= SAMPLE_ALL_BELOW ? 100 : Math.min(100, (100 * ranges * SAMPLE_PER_RANGE) / est);
      try {
        const rows = await source.with((c) => run(c, tileBoundsQuery(w.shape, 'source', ranges, { percent })));
        bounds.set(w.shape, rows.slice(1).map((r) => keyOf(r, w.shape)));
      } catch (e) {
        for (const nt of w.nodes) nt.result.error ??= `cannot sample the keys on the source: ${pgErrorText(e)}`;
      }
    });
    checkSignal();

    // 2. First pass: large tables one after another, each with every session
    // of every side; then small tables side by side, one session each.
    const tasks: Task[] = [];
    const live = (w: (typeof work)[number]) => w.nodes.filter((nt) => nt.result.status === 'equal' && !nt.result.error);
    const firstPass = async (w: (typeof work)[number], chunked: boolean) => {
      const nts = live(w);
      if (!nts.length) return;
      const b = bounds.get(w.shape) ?? [];
      const sides: { name: string; side: Side; pool: SessionPool }[] = [
        { name: 'source', side: 'source', pool: source },
        ...nts.map((nt) => ({ name: nt.node, side: 'node' as Side, pool: pools.get(nt.node)! })),
      ];
      const outcomes = await Promise.allSettled(
        sides.map((s) => scanSide(s.pool, w.shape, s.side, b, chunked ? heapChunks(pagesOf.get(s.name)!.get(w.shape) ?? 0, s.pool.version, jobs) : [{}])),
      );
      const ended = Date.now();
      const src = outcomes[0];
      nts.forEach((nt, i) => {
        const dst = outcomes[i + 1];
        nt.result.ranges = b.length + 1;
        if (src.status === 'rejected') return void (nt.result.error = `on the source: ${pgErrorText(src.reason)}`);
        if (dst.status === 'rejected') return void (nt.result.error = pgErrorText(dst.reason));
        nt.result.rows_source = Number(total(src.value));
        nt.result.rows_node = Number(total(dst.value));
        for (let k = 0; k <= b.length; k++) {
          const s = src.value.get(k) ?? ZERO;
          const d = dst.value.get(k) ?? ZERO;
          if (same(s, d)) continue;
          tasks.push({ kind: w.shape.key ? 'narrow' : 'whole', nt, range: w.shape.key ? subRange({ lower: null, upper: null }, b, k) : { lower: null, upper: null }, src: s, dst: d, notBefore: ended + SETTLE_MS, path: [k] });
        }
        progress(`${nt.node}: ${w.shape.display}: ${nt.result.rows_source} rows compared`);
      });
    };
    const chunkedWork = work.filter((w) => [['source', w.shape] as const, ...w.nodes.map((nt) => [nt.node, w.shape] as const)].some(([side, shape]) => (pagesOf.get(side)?.get(shape) ?? 0) >= 2 * MIN_CHUNK_PAGES));
    for (const w of chunkedWork) {
      checkSignal();
      await firstPass(w, true);
    }
    await drainQueue(work.filter((w) => !chunkedWork.includes(w)), jobs, (w) => firstPass(w, false));
    checkSignal();

    // 3 and 4. Narrow and re-check what differed.
    await drainQueue(tasks, jobs, async (task, push) => {
      checkSignal();
      const { nt } = task;
      if (nt.result.error) return;
      try {
        await sleep(task.notBefore - Date.now());
        if (task.kind === 'whole') await recheckWhole(task);
        else await narrow(task, push);
      } catch (e) {
        checkSignal();
        nt.result.error = pgErrorText(e);
      }
    });
    checkSignal();
  } catch (e) {
    // Once stopped, whatever failed failed because its sessions were closed.
    checkSignal();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await closeAll();
  }

  /** count and hash per range of one side, summed over its chunks, all read under one snapshot. */
  async function scanSide(pool: SessionPool, t: TableShape, side: Side, b: KeyValue[], chunks: Chunk[]): Promise<Buckets> {
    if (chunks.length === 1) return toBuckets((await pool.with((c) => run(c, bucketQuery(t, side, { bounds: b })))) as never);
    const sessions: pg.Client[] = [];
    let broken = false;
    try {
      const leader = await pool.acquire();
      sessions.push(leader);
      await leader.query(BEGIN_SNAPSHOT);
      const snapshot = (await leader.query('SELECT pg_export_snapshot() AS s')).rows[0].s as string;
      for (let i = 1; i < chunks.length; i++) {
        const c = await pool.acquire();
        sessions.push(c);
        await c.query(`${BEGIN_SNAPSHOT}; ${importSnapshotSql(snapshot)}`);
      }
      const parts = await Promise.all(chunks.map((chunk, i) => run(sessions[i], bucketQuery(t, side, { bounds: b, chunk }))));
      await Promise.all(sessions.map((c) => c.query('COMMIT')));
      const out: Buckets = new Map();
      for (const p of parts) toBuckets(p as never, out);
      return out;
    } catch (e) {
      broken = true;
      throw e;
    } finally {
      for (const c of sessions) pool.release(c, broken);
    }
  }

  /** One range (or the whole table) on the source and a node at the same moment. */
  async function compareRange(nt: NodeTable, range: KeyRange, b: KeyValue[] = []): Promise<[Buckets, Buckets]> {
    const shape = nt.shape;
    return Promise.all([
      source.with(async (c) => toBuckets((await run(c, bucketQuery(shape, 'source', { range, bounds: b }))) as never)),
      pools.get(nt.node)!.with(async (c) => toBuckets((await run(c, bucketQuery(shape, 'node', { range, bounds: b }))) as never)),
    ]);
  }

  async function narrow(task: Task, push: (t: Task) => void): Promise<void> {
    const { nt, range, src, dst } = task;
    if (nt.confirmed >= maxDifferences) return void (nt.result.differences_truncated = true);
    if (src.n <= BigInt(leafRows) && dst.n <= BigInt(leafRows)) return recheckLeaf(task);
    // Cut along the keys of the side that has more of them: rows only the node has are cut as finely as the source's.
    const fromSource = src.n >= dst.n;
    const pool = fromSource ? source : pools.get(nt.node)!;
    const rows = await pool.with((c) => run(c, tileBoundsQuery(nt.shape, fromSource ? 'source' : 'node', split, { range })));
    const b = rows.slice(1).map((r) => keyOf(r, nt.shape));
    if (!b.length) return recheckLeaf(task);
    const [s, d] = await compareRange(nt, range, b);
    let differs = 0;
    for (let k = 0; k <= b.length; k++) {
      const sa = s.get(k) ?? ZERO;
      const da = d.get(k) ?? ZERO;
      if (same(sa, da)) continue;
      differs++;
      push({ kind: 'narrow', nt, range: subRange(range, b, k), src: sa, dst: da, notBefore: 0, path: [...task.path, k] });
    }
    if (!differs) nt.result.settled++;
  }

  /** null: equal at a re-check. Otherwise the last counts, and whether both sides moved at every look. */
  async function recheck(task: Task): Promise<{ last: [Agg, Agg]; busy: boolean } | null> {
    const seen: [Agg, Agg][] = [[task.src, task.dst]];
    for (const wait of delays) {
      await sleep(wait);
      checkSignal();
      const [s, d] = await compareRange(task.nt, task.range);
      const now: [Agg, Agg] = [s.get(0) ?? ZERO, d.get(0) ?? ZERO];
      if (same(now[0], now[1])) {
        task.nt.result.settled++;
        return null;
      }
      seen.push(now);
    }
    const moved = (side: 0 | 1) => seen.some((x, i) => i > 0 && !same(x[side], seen[i - 1][side]));
    return { last: seen[seen.length - 1], busy: seen.length > 2 && moved(0) && moved(1) };
  }

  async function recheckWhole(task: Task): Promise<void> {
    const checked = await recheck(task);
    if (!checked) return;
    const { last } = checked;
    const difference: RangeDifference = { first: null, last: null, lower: null, upper: null, rows_source: Number(last[0].n), rows_node: Number(last[1].n), rows: [] };
    (checked.busy ? busyFound : found).set(task.nt.result, [{ path: task.path, difference }]);
  }

  async function recheckLeaf(task: Task): Promise<void> {
    const { nt, range } = task;
    const checked = await recheck(task);
    if (!checked) return;
    const { last } = checked;
    if (!checked.busy) {
      if (nt.confirmed >= maxDifferences) return void (nt.result.differences_truncated = true);
      nt.confirmed++;
    }
    const shape = nt.shape;
    // The range is small: its keys and row hashes name the rows that differ.
    const limit = Math.max(leafRows * 10, 1000);
    const [sRows, dRows] = await Promise.all([
      source.with((c) => run(c, rowHashesQuery(shape, 'source', range, limit))),
      pools.get(nt.node)!.with((c) => run(c, rowHashesQuery(shape, 'node', range, limit))),
    ]);
    const id = (k: KeyValue) => JSON.stringify(k);
    const onNode = new Map(dRows.map((r) => [id(keyOf(r, shape)), r.h as string]));
    const onSource = new Map(sRows.map((r) => [id(keyOf(r, shape)), r.h as string]));
    const rows: RowDifference[] = [];
    for (const r of sRows) {
      const k = keyOf(r, shape);
      const h = onNode.get(id(k));
      if (h === undefined) rows.push({ key: k, problem: 'missing on node' });
      else if (h !== r.h) rows.push({ key: k, problem: 'differs' });
    }
    for (const r of dRows) if (!onSource.has(id(keyOf(r, shape)))) rows.push({ key: keyOf(r, shape), problem: 'only on node' });
    // Both sides' keys in the table's order, to name the range by its first and last key.
    const keys = [...new Map([...sRows, ...dRows].map((r) => [id(keyOf(r, shape)), keyOf(r, shape)])).values()];
    let ordered: KeyValue[] = keys;
    if (keys.length > 1) {
      const sorted = await source.with((c) => run(c, sortKeysQuery(shape, keys)));
      ordered = sorted.map((r) => keyOf(r, shape));
    }
    const position = new Map(ordered.map((k, i) => [id(k), i]));
    rows.sort((a, b) => (position.get(id(a.key)) ?? 0) - (position.get(id(b.key)) ?? 0));
    const difference: RangeDifference = {
      first: ordered[0] ?? null,
      last: ordered[ordered.length - 1] ?? null,
      lower: range.lower,
      upper: range.upper,
      rows_source: Number(last[0].n),
      rows_node: Number(last[1].n),
      rows,
    };
    const into = checked.busy ? busyFound : found;
    into.set(nt.result, [...(into.get(nt.result) ?? []), { path: task.path, difference }]);
  }

  for (const n of nodes) {
    for (const t of n.tables) {
      t.differences = (found.get(t) ?? []).sort((a, b) => comparePaths(a.path, b.path)).map((f) => f.difference);
      t.busy = (busyFound.get(t) ?? []).sort((a, b) => comparePaths(a.path, b.path)).map((f) => f.difference);
      t.status = tableStatus(t);
    }
    n.equal = !n.error && n.tables.every((t) => t.status === 'equal' || t.status === 'busy');
  }
  const duration = Date.now() - started;
  const rowsCompared = nodes.reduce((sum, n) => sum + n.tables.reduce((s, t) => s + (t.rows_source ?? 0), 0), 0);
  return {
    equal: nodes.every((n) => n.equal),
    nodes,
    started_at: new Date(started).toISOString(),
    duration_ms: duration,
    rows_compared: rowsCompared,
    rows_per_second: duration > 0 ? Math.round((rowsCompared * 1000) / duration) : 0,
  };
}
