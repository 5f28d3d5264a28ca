// A steady pgbench write load, so migration tests run against a database that
// keeps changing while they work.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { PG_BIN, type Cluster } from './cluster.js';

export interface WriteLoadResult {
  transactions: number;
  failed: boolean;
  stderr: string;
}

export interface WriteLoad {
  stop(): Promise<WriteLoadResult>;
}

export interface WriteLoadOptions {
  db: string;
  /** pgbench custom script (-f), e.g. "INSERT INTO t(v) VALUES (random());" */
  script: string;
  /** concurrent connections (-c); default 2 */
  clients?: number;
  /** target transactions per second across all clients (-R); unthrottled when omitted */
  rate?: number;
  /** hard cap on the run (-T); default 600 */
  seconds?: number;
}

// If pgbench is stuck behind a lock (e.g. writes frozen for a cutover) it never
// reaches its end-of-run check; don't let that hang the test.
const STOP_GRACE_MS = 15_000;

export function startWriteLoad(cluster: Cluster, opts: WriteLoadOptions): WriteLoad {
  const clients = opts.clients ?? 2;
  const seconds = opts.seconds ?? 600;
  // pgbench runs as the current user, so a private temp dir is enough.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgedge-load-'));
  const scriptFile = path.join(dir, 'script.sql');
  writeFileSync(scriptFile, opts.script.endsWith('\n') ? opts.script : opts.script + '\n');

  const args = ['-n', '-f', scriptFile, '-c', String(clients), '-j', '1', '-T', String(seconds)];
  if (opts.rate !== undefined) args.push('-R', String(opts.rate));
  args.push('-h', cluster.host, '-p', String(cluster.port), '-U', 'postgres', opts.db);

  const child = execa(path.join(PG_BIN, 'pgbench'), args, {
    // Password via env so it never appears in the process list.
    env: { PGPASSWORD: cluster.password },
    reject: false,
    stdin: 'ignore',
  });

  let stopping: Promise<WriteLoadResult> | undefined;

  return {
    stop(): Promise<WriteLoadResult> {
      stopping ??= (async () => {
        // SIGALRM, not SIGINT: it is the signal pgbench's own -T timer uses, so
        // pgbench finishes in-flight transactions and prints its report. pgbench
        // treats SIGINT as "cancel the current query" and keeps going; with -R
        // it then bursts through the whole remaining schedule at full speed.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGALRM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        const res = await child;
        clearTimeout(killer);
        rmSync(dir, { recursive: true, force: true });

        const stdout = String(res.stdout ?? '');
        const stderr = String(res.stderr ?? '');
        const m = /number of transactions actually processed: (\d+)/.exec(stdout);
        return {
          transactions: m ? Number(m[1]) : 0,
          // Non-zero exit is expected when the server drops connections (pgbench
          // exits 2 with "Run was aborted"); callers decide whether that matters.
          failed: res.failed || m === null,
          stderr,
        };
      })();
      return stopping;
    },
  };
}
