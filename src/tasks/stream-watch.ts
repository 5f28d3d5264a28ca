// What a wait for the nodes (apply's catch-up, the cutover's drain) watches
// besides the slots' positions: whether each node's apply worker is steady.
// A worker that fails is started again every wal_retrieve_retry_interval, so
// its pid comes and goes and its error counters rise; a wait that only reads
// positions sees a lag that never moves and runs into its timeout. Once a
// worker is unsteady the nodes' schemas are compared with the source's: a
// column or table made on the source by hand is the usual cause, and its
// repair is printed with the reason the wait stopped.
import type { TaskContext } from './context.js';
import { lookAtWorker, readWorkerError } from '../pg/apply-worker.js';
import { readCoverageFacts } from '../pg/subscription-coverage.js';
import { readRecordedDdl } from '../pg/ddl-log.js';
import { judgeCoverage, formatCoverage, type NodeCoverage } from '../verify/coverage-gaps.js';
import { coverageTarget } from '../verify/plan-coverage.js';
import { followWorker, formatWorkerHealth, newTrack, type WorkerHealth, type WorkerTrack } from '../verify/worker-restarts.js';

// Kinds of gap that stop a node's worker at the next change to the table.
const STOPS_WORKER = new Set(['missing on node', 'column missing on node', 'column required on node', 'column type differs']);
/** A pid seen this long without a new error is a steady worker again. */
const STEADY_MS = 10_000;
const DRIFT_CHECK_EVERY_MS = 2_000;

interface NodeWatch extends WorkerTrack {
  node: string;
  subscription: string;
}

export interface BrokenStream {
  reason: string;
  hint: string;
}

export class StreamWatch {
  private nodes: NodeWatch[];
  private lastDriftCheck = 0;
  private readonly started = Date.now();

  /** `maxNewErrors`: failures of one worker during the wait that make it a crash loop, not a one-off restart. */
  /** `rerun`: the command to run again once repaired. */
  constructor(private ctx: TaskContext, private maxNewErrors: number, private rerun: string) {
    this.nodes = ctx.plan.replication.map((r) => ({ node: r.node, subscription: r.subscription, ...newTrack(Date.now()) }));
  }

  /** Looks at every node's worker once. */
  async look(): Promise<void> {
    this.nodes = await Promise.all(this.nodes.map(async (n) => ({ ...n, ...followWorker(n, await lookAtWorker(await this.ctx.db(n.node), n.subscription), STEADY_MS) })));
  }

  /** Nodes without a steady worker for longer than `ms`. */
  unsteadyFor(ms: number): string[] {
    return this.nodes.filter((n) => n.unsteadySince !== undefined && Date.now() - n.unsteadySince > ms).map((n) => n.node);
  }

  private newErrors(n: NodeWatch): number {
    return n.baseline === null || n.errors === null ? 0 : n.errors - n.baseline;
  }

  /** Why the stream cannot finish, with its repair; undefined while it may. */
  async broken(): Promise<BrokenStream | undefined> {
    const unsteady = this.nodes.filter((n) => n.unsteadySince !== undefined);
    if (!unsteady.length) return undefined;
    const looping = this.nodes.filter((n) => this.newErrors(n) >= this.maxNewErrors);
    if (!looping.length && Date.now() - this.lastDriftCheck < DRIFT_CHECK_EVERY_MS) return undefined;
    this.lastDriftCheck = Date.now();
    const drift = (await this.coverage(unsteady)).filter((c) => c.gaps.some((g) => STOPS_WORKER.has(g.kind)));
    if (!drift.length && !looping.length) return undefined;
    const failing = await this.health([...new Set([...looping, ...unsteady.filter((n) => drift.some((c) => c.node === n.node))])]);
    const reason = [formatWorkerHealth(failing).trimEnd() || `the apply worker${unsteady.length > 1 ? 's' : ''} of ${unsteady.map((n) => n.node).join(', ')} keep${unsteady.length > 1 ? '' : 's'} stopping`, drift.length ? `the nodes' schema differs from the source's:\n${formatCoverage(drift).trimEnd()}` : '']
      .filter(Boolean)
      .join('\n');
    const hint = drift.length
      ? `Run the fix above on each node (a change made on the source by hand reaches no node by itself); the workers then resume where they stopped, losing nothing. \`migrate status\` shows when they do; then run ${this.rerun} again.`
      : `The changes from the failing one on wait in the slots on the source, nothing is lost: repair the cause the error names, then run ${this.rerun} again. \`migrate status\` shows the workers.`;
    return { reason, hint };
  }

  private async coverage(nodes: NodeWatch[]): Promise<NodeCoverage[]> {
    const source = await this.ctx.db('source');
    const recorded = await readRecordedDdl(source, { pendingOnly: true });
    const out: NodeCoverage[] = [];
    for (const r of this.ctx.plan.replication.filter((x) => nodes.some((n) => n.node === x.node))) {
      out.push(judgeCoverage(coverageTarget(this.ctx.plan, r), await readCoverageFacts(source, await this.ctx.db(r.node), r.publication, r.subscription), { plan_file: this.ctx.loaded.file, recorded }));
    }
    return out;
  }

  private async health(nodes: NodeWatch[]): Promise<WorkerHealth[]> {
    const out: WorkerHealth[] = [];
    for (const n of nodes) {
      const db = await this.ctx.db(n.node);
      const origin = (await lookAtWorker(db, n.subscription)).origin;
      const fresh = this.newErrors(n);
      out.push({ node: n.node, subscription: n.subscription, state: fresh > 0 ? 'restarting' : 'failing', errors: n.errors, new_errors: fresh, seconds: (Date.now() - this.started) / 1000, pid: n.pid, error: await readWorkerError(db, n.node, n.subscription, origin) });
    }
    return out;
  }

  /** A true sentence about the workers, for a wait that timed out. */
  describe(): string {
    const unsteady = this.nodes.filter((n) => n.unsteadySince !== undefined);
    if (!unsteady.length) return 'Every apply worker is running, with no new error: the streams move, more slowly than the source writes.';
    return `The apply worker of ${unsteady.map((n) => `${n.node} (${n.pid === null ? 'not running' : `pid ${n.pid}`}, ${this.newErrors(n)} new error${this.newErrors(n) === 1 ? '' : 's'})`).join(', ')} is not steady: see \`migrate status\`, which names its error.`;
  }
}
