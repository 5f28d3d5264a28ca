// Clusters not yet stopped, and what stops them when their owner dies: an
// exit/signal handler, and a detached watchdog for the deaths no handler sees.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { pgCommand } from './pg-bin.js';

export interface LiveCluster {
  bin: string;
  dataDir: string;
  baseDir: string;
  watchdog?: ChildProcess;
}

const live = new Set<LiveCluster>();
let exitHandlerInstalled = false;

export function track(c: LiveCluster): void {
  installExitHandler();
  live.add(c);
}

/** Forgets a cluster: stopped, or detached to outlive this process. */
export function untrack(c: LiveCluster): void {
  killWatchdog(c);
  live.delete(c);
}

function killWatchdog(c: LiveCluster): void {
  const w = c.watchdog;
  c.watchdog = undefined;
  // Checking for a recorded exit avoids signalling a recycled pid.
  if (w && w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
}

function immediateStop(c: LiveCluster): { file: string; args: string[] } {
  return pgCommand(c.bin, 'pg_ctl', ['-D', c.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
}

// The exit handler cannot run when the process is SIGKILLed, nor when vitest
// runs the test in a worker thread and terminates it (no 'exit' event there).
// A detached shell outlives us, notices our pid is gone and reaps the cluster.
export function startWatchdog(c: LiveCluster): void {
  const cmd = immediateStop(c);
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; ' + 'base="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$base"';
  // node:child_process rather than execa: execa's cleanup would kill the
  // watchdog together with us, which defeats its purpose.
  const child = spawn('sh', ['-c', script, 'watchdog', String(process.pid), c.baseDir, cmd.file, ...cmd.args], {
    detached: true,
    stdio: 'ignore',
    cwd: os.tmpdir(),
  });
  child.on('error', () => undefined);
  child.unref();
  c.watchdog = child;
}

function stopAllSync(): void {
  for (const c of live) {
    killWatchdog(c);
    const cmd = immediateStop(c);
    spawnSync(cmd.file, cmd.args, { stdio: 'ignore', cwd: os.tmpdir() });
    rmSync(c.baseDir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // pg_ctl puts the postmaster in its own session, so it survives the death
  // of the test process; only an explicit stop gets rid of it.
  process.on('exit', stopAllSync);
  // A terminating signal skips 'exit'. If nobody else handles the signal we
  // re-raise it after cleanup so the process still dies the default way.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      stopAllSync();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}
