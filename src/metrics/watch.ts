// `migrate status --watch`: the status redrawn every few seconds in a
// terminal, with the apply rate and a trend of the lag; one line per node and
// interval when the output is not a terminal (CI logs, a file).
import type { LoadedPlan } from '../plan/load.js';
import { formatBytes } from '../pg/replication-state.js';
import { collectSample, type NodeSample, type ReplicationSample } from './sample.js';

const TREND = 20;
const BLOCKS = '▁▂▃▄▅▆▇█';

interface History {
  lag: number[];
  last?: { at: number; confirmed: number };
  rate: number | null;
}

export interface WatchOptions {
  intervalSeconds: number;
  tty: boolean;
  stateDir?: string;
  signal: AbortSignal;
  /** Stop after this many readings (for scripts); default: until Ctrl-C. */
  times?: number;
}

export async function watchStatus(loaded: LoadedPlan, opts: WatchOptions, out: (s: string) => void): Promise<void> {
  const history = new Map<string, History>();
  for (let i = 0; !opts.signal.aborted && (opts.times === undefined || i < opts.times); i++) {
    const sample = await collectSample(loaded, opts.stateDir);
    for (const n of sample.nodes) remember(history, n, sample.at.getTime());
    out(opts.tty ? screen(sample, history, opts.intervalSeconds) : lines(sample, history));
    if (opts.times !== undefined && i + 1 >= opts.times) break;
    await sleep(opts.intervalSeconds * 1000, opts.signal);
  }
}

function remember(history: Map<string, History>, n: NodeSample, at: number): void {
  const h = history.get(n.node) ?? { lag: [], rate: null };
  h.lag.push(n.lag_bytes ?? 0);
  if (h.lag.length > TREND) h.lag.shift();
  if (n.confirmed_bytes !== null) {
    h.rate = h.last ? Math.max(0, (n.confirmed_bytes - h.last.confirmed) / ((at - h.last.at) / 1000)) : null;
    h.last = { at, confirmed: n.confirmed_bytes };
  }
  history.set(n.node, h);
}

export function sparkline(values: number[]): string {
  const max = Math.max(...values, 0);
  if (max === 0) return BLOCKS[0].repeat(values.length);
  return values.map((v) => BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((v / max) * (BLOCKS.length - 1)))]).join('');
}

const rateText = (r: number | null) => (r === null ? '-' : `${formatBytes(Math.round(r))}/s`);
const lagTime = (n: NodeSample) => (n.lag_seconds === null ? '-' : `${n.lag_seconds.toFixed(1)} s`);
const state = (n: NodeSample) => (n.error ? `error: ${n.error}` : n.streaming ? 'streaming' : 'NOT streaming');

function screen(s: ReplicationSample, history: Map<string, History>, interval: number): string {
  const header = ['node', 'state', 'lag', 'lag time', 'applied', 'slot WAL held', 'apply errors', `lag, last ${TREND} readings`];
  const rows = s.nodes.map((n) => {
    const h = history.get(n.node)!;
    return [n.node, state(n), formatBytes(n.lag_bytes), lagTime(n), rateText(h.rate), formatBytes(n.retained_bytes), n.apply_errors === null ? '-' : String(n.apply_errors), sparkline(h.lag)];
  });
  const widths = header.map((x, i) => Math.max(x.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  let text = '\x1b[H\x1b[2J';
  text += `Plan ${s.plan} · phase ${s.phase}${s.source_up ? '' : ` · source unreachable: ${s.source_error}`}${s.writes_frozen ? ' · WRITES FROZEN on the source' : ''} · ${s.at.toISOString()} · every ${interval} s, Ctrl-C to stop\n\n`;
  return text + line(header) + line(widths.map((w) => '-'.repeat(w))) + rows.map(line).join('');
}

function lines(s: ReplicationSample, history: Map<string, History>): string {
  const at = s.at.toISOString();
  let text = s.source_up ? '' : `${at} source unreachable: ${s.source_error}\n`;
  for (const n of s.nodes) {
    const h = history.get(n.node)!;
    text += `${at} ${n.node} ${state(n)} lag=${formatBytes(n.lag_bytes)} lag_time=${lagTime(n)} applied=${rateText(h.rate)} slot_wal_held=${formatBytes(n.retained_bytes)} apply_errors=${n.apply_errors ?? '-'} phase=${s.phase}\n`;
  }
  return text;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
