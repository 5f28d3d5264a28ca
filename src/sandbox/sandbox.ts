// `migrate sandbox up|down`: a source and two nodes on this machine, the
// sample database with a gentle write load, and the env file the sandbox plan
// (plans/sandbox.yaml) reads its ports and passwords from.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findPgBin, startLocalClusters, stopClusterAt, type LocalCluster } from './local-cluster.js';
import { createSpockMesh, pgedgePrefix, requirePgedge, startPgedgeNodes } from './pgedge.js';
import { readAsset } from '../assets.js';
import { OperationError, UsageError } from '../errors.js';

export interface SandboxState {
  dir: string;
  pgBin: string;
  database: string;
  clusters: { name: string; port: number; dataDir: string; password: string; binDir?: string }[];
  /** Three pgEdge nodes (Spock mesh, Snowflake) instead of two plain ones: plans/sandbox-pgedge.yaml. */
  pgedge?: boolean;
  loadPid?: number;
}

export const SANDBOX_DB = 'shop';
const STATE = 'sandbox.json';

export function sandboxEnv(state: SandboxState): Record<string, string> {
  const env: Record<string, string> = {};
  for (const c of state.clusters) {
    const key = c.name.toUpperCase();
    env[`SANDBOX_${key}_PORT`] = String(c.port);
    env[`SANDBOX_${key}_PASSWORD`] = c.password;
  }
  return env;
}

export function readSandbox(dir: string): SandboxState | undefined {
  const file = join(dir, STATE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SandboxState) : undefined;
}

export async function sandboxUp(opts: { dir: string; pgBin?: string; load?: boolean; rate?: number; pgedge?: boolean }, say: (s: string) => void): Promise<SandboxState> {
  const dir = resolve(opts.dir);
  if (readSandbox(dir)) throw new UsageError(`a sandbox is already up in ${dir}`, 'Run `migrate sandbox down` first.');
  const pgBin = findPgBin(opts.pgBin);
  if (opts.pgedge) requirePgedge();
  mkdirSync(dir, { recursive: true });
  // Each cluster's data lives under the system's temporary directory, which the
  // server's own user can reach even when this directory is root's.
  const clusters = opts.pgedge ? await startPgedgeSandbox(pgBin, say) : await startPlainSandbox(pgBin, say);
  const state: SandboxState = {
    dir,
    pgBin,
    database: SANDBOX_DB,
    clusters: clusters.map((c, i) => ({ name: c.name, port: c.port, dataDir: c.dataDir, password: c.password, ...(opts.pgedge && i > 0 ? { binDir: join(pgedgePrefix(), 'bin') } : {}) })),
    ...(opts.pgedge ? { pgedge: true } : {}),
  };
  writeFileSync(join(dir, STATE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  try {
    for (const c of clusters) {
      c.detach();
      await c.createDatabase(SANDBOX_DB);
    }
    await clusters[0].exec(readAsset('templates', 'sandbox', 'schema.sql'), SANDBOX_DB);
    const nodes = clusters.slice(1);
    if (opts.pgedge) {
      await createSpockMesh(nodes, SANDBOX_DB);
      say(`n1, n2 and n3 form a Spock mesh (every direction, forward_origins '{}'), snowflake.node 1, 2, 3\n`);
    }
    say(`loaded the sample database "${SANDBOX_DB}" on the source (127.0.0.1:${clusters[0].port}); ${nodes.map((c) => `${c.name} (${c.port})`).join(', ')} are empty\n`);
    if (opts.load !== false) {
      state.loadPid = startLoad(state, clusters[0].port, clusters[0].password, opts.rate ?? 50);
      say(`a write load of about ${opts.rate ?? 50} transactions per second runs on the source (pid ${state.loadPid})\n`);
    }
  } catch (e) {
    sandboxDown(dir);
    throw e;
  }
  writeFileSync(join(dir, STATE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  const envFile = join(dir, 'sandbox.env');
  writeFileSync(envFile, Object.entries(sandboxEnv(state)).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  say(`ports and passwords: ${envFile} (source it, then use plans/${sandboxPlan(state)})\n`);
  return state;
}

/** The plan that goes with a sandbox. */
export function sandboxPlan(state: { pgedge?: boolean }): string {
  return state.pgedge ? 'sandbox-pgedge.yaml' : 'sandbox.yaml';
}

async function startPlainSandbox(pgBin: string, say: (s: string) => void): Promise<LocalCluster[]> {
  say(`starting a source and two nodes from ${pgBin} ...\n`);
  return startLocalClusters(['source', 'n1', 'n2'], { binDir: pgBin });
}

async function startPgedgeSandbox(pgBin: string, say: (s: string) => void): Promise<LocalCluster[]> {
  const prefix = pgedgePrefix();
  say(`starting a source from ${pgBin} and three pgEdge nodes (Spock, Snowflake) from ${prefix} ...\n`);
  const [source] = await startLocalClusters(['source'], { binDir: pgBin });
  try {
    return [source, ...(await startPgedgeNodes(['n1', 'n2', 'n3'], prefix))];
  } catch (e) {
    await source.stop();
    throw e;
  }
}

function startLoad(state: SandboxState, port: number, password: string, rate: number): number {
  const script = join(state.dir, 'write-load.pgbench');
  writeFileSync(script, readAsset('templates', 'sandbox', 'write-load.pgbench'));
  const log = openSync(join(state.dir, 'write-load.log'), 'a');
  // Detached: the load outlives `sandbox up` and is ended by `sandbox down`.
  const child = spawn(join(state.pgBin, 'pgbench'), ['-n', '-f', script, '-c', '2', '-j', '1', '-R', String(rate), '-T', '86400', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', SANDBOX_DB], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PGPASSWORD: password },
  });
  child.unref();
  if (!child.pid) throw new OperationError('could not start pgbench for the write load');
  return child.pid;
}

export function stopLoad(state: SandboxState): void {
  if (!state.loadPid) return;
  try {
    process.kill(state.loadPid, 'SIGINT');
  } catch {
    // Already gone: pgbench ends by itself when the cutover freezes the source.
  }
}

export function sandboxDown(dir: string): boolean {
  const state = readSandbox(resolve(dir));
  if (!state) return false;
  stopLoad(state);
  for (const c of state.clusters) {
    stopClusterAt(c.binDir ?? state.pgBin, c.dataDir);
    rmSync(dirname(c.dataDir), { recursive: true, force: true });
  }
  rmSync(state.dir, { recursive: true, force: true });
  return true;
}
