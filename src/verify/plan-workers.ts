// Every node's apply worker, for `status` and `verify`: one look, a second
// one moments later where the first leaves doubt (no worker, or errors
// counted), and the server log's error for a worker that keeps failing.
import type pg from 'pg';
import type { ResolvedPlan, ReplicationSet } from '../plan/plan.js';
import { withClient } from '../pg/connect.js';
import { lookAtWorker, readWorkerError } from '../pg/apply-worker.js';
import { judgeWorker, needsSecondLook, workerBroken, type WorkerHealth } from './worker-restarts.js';

/** Long enough to see a counter rise at a short retry interval, short enough for a status command. */
export const SECOND_LOOK_MS = 1500;

/** One node's worker, on a session the caller holds. */
export async function nodeWorker(c: pg.ClientBase, node: string, subscription: string, secondLookMs = SECOND_LOOK_MS): Promise<WorkerHealth> {
  const first = await lookAtWorker(c, subscription);
  if (!needsSecondLook(first)) return judgeWorker(node, subscription, first);
  await new Promise((done) => setTimeout(done, secondLookMs));
  const second = await lookAtWorker(c, subscription);
  const health = judgeWorker(node, subscription, first, second);
  if (workerBroken(health)) health.error = await readWorkerError(c, node, subscription, second.origin);
  return health;
}

export async function planWorkers(plan: ResolvedPlan, sets: ReplicationSet[], secondLookMs = SECOND_LOOK_MS): Promise<WorkerHealth[]> {
  const read = await Promise.all(
    sets.map(async (r) => {
      const dsn = plan.nodes.find((n) => n.name === r.node)!.dsn;
      try {
        return await withClient(dsn, `node ${r.node}`, (c) => nodeWorker(c, r.node, r.subscription, secondLookMs));
      } catch {
        // An unreachable node is status's and verify's to report, once.
        return undefined;
      }
    }),
  );
  return read.filter((h): h is WorkerHealth => h !== undefined);
}
