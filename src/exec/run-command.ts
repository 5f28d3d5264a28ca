// The one module that starts child processes. Output goes to a log file in the
// run directory, redacted line by line; the password reaches the child only
// through its environment.
import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import type { Command } from '../render/commands.js';
import type { Redactor } from '../secrets.js';
import { OperationError } from '../errors.js';

export interface RunOptions {
  logFile: string;
  redactor: Redactor;
  signal: AbortSignal;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called once the child exists, with its pid. */
  onSpawn?: (pid: number) => void;
  /** Called with each redacted output line, for progress. */
  onLine?: (line: string) => void;
}

export interface RunResult {
  exitCode: number;
  durationMs: number;
  tail: string[];
}

export async function runCommand(cmd: Command, opts: RunOptions): Promise<RunResult> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const tail: string[] = [];
  const started = Date.now();
  const shown = opts.redactor.redact([cmd.program, ...cmd.argv].join(' '));
  log.write(`# ${new Date().toISOString()} ${shown}\n`);
  const lineOf = (stream: string) => (line: string) => {
    const safe = opts.redactor.redact(line);
    if (!log.writableEnded) log.write(`${stream === 'stderr' ? '! ' : ''}${safe}\n`);
    tail.push(safe);
    if (tail.length > 20) tail.shift();
    opts.onLine?.(safe);
  };
  try {
    const child = execa(cmd.program, cmd.argv, {
      cwd: opts.cwd,
      env: { ...cmd.env, ...opts.env },
      cancelSignal: opts.signal,
      // Ends the whole child, and gives it a moment to clean up before SIGKILL.
      forceKillAfterDelay: 5_000,
      timeout: opts.timeoutMs,
      reject: false,
      stdin: 'ignore',
      lines: false,
      buffer: false,
      stdout: ['pipe'],
      stderr: ['pipe'],
    });
    if (child.pid) opts.onSpawn?.(child.pid);
    splitLines(child.stdout!, lineOf('stdout'));
    splitLines(child.stderr!, lineOf('stderr'));
    const r = await child;
    const durationMs = Date.now() - started;
    log.write(`# exit ${r.exitCode ?? r.signal ?? '?'} after ${durationMs} ms\n`);
    if (r.isCanceled) throw new OperationError(`${cmd.program} was stopped`);
    if (r.failed && r.exitCode === undefined) {
      const why = r.code === 'ENOENT' ? `${cmd.program}: not found (set tools.bin_dir in the plan, or put it on PATH)` : `${cmd.program}: ${r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : r.shortMessage}`;
      throw new OperationError(opts.redactor.redact(why));
    }
    return { exitCode: r.exitCode ?? 1, durationMs, tail };
  } finally {
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}
