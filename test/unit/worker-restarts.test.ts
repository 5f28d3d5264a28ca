// Two looks at an apply worker, judged; and its last error found in a server log.
import { describe, it, expect } from 'vitest';
import { followWorker, newTrack, judgeWorker, needsSecondLook, lastWorkerError, formatWorkerHealth, workerBroken } from '../../src/verify/worker-restarts.js';
import type { WorkerLook } from '../../src/pg/apply-worker.js';

const look = (over: Partial<WorkerLook> = {}): WorkerLook => ({ at: 0, exists: true, enabled: true, pid: 100, errors: 0, origin: 'pg_16400', ...over });

describe('judgeWorker', () => {
  it('a worker with the same pid and no error is steady, and needs no second look', () => {
    expect(needsSecondLook(look())).toBe(false);
    expect(judgeWorker('n1', 's', look()).state).toBe('steady');
  });

  it('errors counted, or no worker: a second look decides', () => {
    expect(needsSecondLook(look({ errors: 3 }))).toBe(true);
    expect(needsSecondLook(look({ pid: null }))).toBe(true);
    expect(needsSecondLook(look({ enabled: false, pid: null }))).toBe(false);
    // Errors counted long ago, and a worker up for a minute since: nothing to wait for.
    expect(needsSecondLook(look({ errors: 3, running_seconds: 60 }))).toBe(false);
    expect(needsSecondLook(look({ errors: 3, running_seconds: 0.2 }))).toBe(true);
  });

  it('rising counters, or a pid that changed, is a worker that keeps restarting', () => {
    const rising = judgeWorker('n1', 's', look({ pid: null, errors: 4 }), look({ at: 1500, pid: null, errors: 6 }));
    expect(rising).toMatchObject({ state: 'restarting', new_errors: 2, seconds: 1.5, errors: 6 });
    expect(judgeWorker('n1', 's', look({ pid: 100, errors: 4 }), look({ at: 1500, pid: 101, errors: 4 })).state).toBe('restarting');
  });

  it('errors counted before but a worker that runs on with its pid is steady (a one-off restart, or a repaired one)', () => {
    expect(judgeWorker('n1', 's', look({ errors: 4 }), look({ at: 1500, errors: 4 })).state).toBe('steady');
    expect(judgeWorker('n1', 's', look({ pid: null, errors: 4 }), look({ at: 1500, pid: 200, errors: 4 })).state).toBe('steady');
  });

  it('no worker at either look: failing when errors are counted, not running otherwise', () => {
    expect(judgeWorker('n1', 's', look({ pid: null, errors: 4 }), look({ at: 1500, pid: null, errors: 4 })).state).toBe('failing');
    expect(judgeWorker('n1', 's', look({ pid: null }), look({ at: 1500, pid: null })).state).toBe('not running');
    expect(workerBroken(judgeWorker('n1', 's', look({ pid: null }), look({ at: 1500, pid: null })))).toBe(false);
  });

  it('prints the worker, its counters and its error, or where to find it', () => {
    const w = { ...judgeWorker('n1', 'sub1', look({ pid: null, errors: 4 }), look({ at: 1500, pid: null, errors: 6 })), error: { line: 'ERROR:  boom' } };
    expect(formatWorkerHealth([w])).toBe(
      'n1: the apply worker of subscription sub1 keeps failing and restarting (6 errors counted, 2 in the last 1.5 s; not running now); every change from the failing one on waits in its slot on the source.\n' +
        "  its last error, from n1's server log: ERROR:  boom\n",
    );
    expect(formatWorkerHealth([{ ...w, error: { where: "n1's server log (logging_collector is off ...)" } }])).toContain("its error is in n1's server log (logging_collector is off");
    expect(formatWorkerHealth([judgeWorker('n1', 's', look())])).toBe('');
  });
});

describe('lastWorkerError', () => {
  const LOG = [
    '2026-12-01 20:58:40.100 UTC [16900] LOG:  logical replication apply worker for subscription "sub1" has started',
    '2026-12-01 20:58:40.200 UTC [16900] ERROR:  logical replication target relation "shop.items" is missing replicated column: "note"',
    '2026-12-01 20:58:40.200 UTC [16900] CONTEXT:  processing remote data for replication origin "pg_16400" during message type "INSERT" for replication target relation "shop.items" in transaction 740, finished at 0/16B5D38',
    '2026-12-01 20:58:40.210 UTC [16800] LOG:  background worker "logical replication worker" (PID 16900) exited with exit code 1',
    '2026-12-01 20:58:41.000 UTC [17000] ERROR:  duplicate key value violates unique constraint "other_pkey"',
    '2026-12-01 20:58:41.000 UTC [17000] CONTEXT:  processing remote data for replication origin "pg_99999" during message type "INSERT"',
    '2026-12-01 20:58:42.000 UTC [17100] LOG:  logical replication apply worker for subscription "sub1" has started',
    '2026-12-01 20:58:42.100 UTC [17100] ERROR:  could not receive data from WAL stream: server closed the connection unexpectedly',
    '2026-12-01 20:58:43.000 UTC [17200] ERROR:  relation "x" does not exist at character 15',
    '2026-12-01 20:58:43.000 UTC [17200] STATEMENT:  SELECT * FROM x',
  ].join('\n');

  it('finds the last error of this subscription: by its origin in the CONTEXT, or by the pid that started as its worker', () => {
    expect(lastWorkerError(LOG, 'sub1', 'pg_16400')).toBe('2026-12-01 20:58:42.100 UTC [17100] ERROR:  could not receive data from WAL stream: server closed the connection unexpectedly');
    expect(lastWorkerError(LOG.split('\n').slice(0, 6).join('\n'), 'sub1', 'pg_16400')).toContain('is missing replicated column: "note"');
  });

  it("another subscription's errors and sessions' errors are not its", () => {
    expect(lastWorkerError(LOG, 'sub2', 'pg_16401')).toBeUndefined();
    expect(lastWorkerError(LOG, 'other', 'pg_99999')).toContain('duplicate key value');
  });
});

describe('followWorker: a wait that follows a worker look after look', () => {
  const follow = (looks: Partial<WorkerLook>[]) => looks.reduce((t, l, i) => followWorker(t, look({ at: i * 500, ...l }), 10_000), newTrack(0));

  it('a crash loop, present for moments under ever new pids, stays unsteady from its first failure on', () => {
    const looks = Array.from({ length: 120 }, (_, i) => ({ pid: i % 3 === 0 ? 1000 + i : null, errors: Math.floor(i / 3) }));
    const t = follow(looks);
    expect(t.unsteadySince).toBe(500);
    expect(t.errors! - t.baseline!).toBe(39);
  });

  it('a worker that keeps one pid is steady at once; one that started late becomes steady after running 10 s', () => {
    expect(follow([{ pid: 7 }, { pid: 7 }, { pid: 7 }]).unsteadySince).toBeUndefined();
    const late = [{ pid: null }, { pid: null }, ...Array.from({ length: 20 }, () => ({ pid: 9 }))];
    expect(follow(late).unsteadySince).toBe(0);
    expect(follow([...late, { pid: 9 }, { pid: 9 }]).unsteadySince).toBeUndefined();
  });
});
