// One read, N writes: a COPY TO STDOUT on the source streamed into a COPY FROM
// STDIN on every node at once. The next chunk is read from the source only
// once every node has taken the previous one, so the slowest node sets the
// pace and memory stays at a few socket buffers whatever the table's size.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

export interface FanOutResult {
  bytes: number;
  rows: number;
}

export interface FanOutOptions {
  /** Called with the bytes of each chunk once every node has taken it. */
  onChunk?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** The first error of any of the streams, saying on which end; never resolves otherwise. */
function firstError(streams: { label: string; stream: Readable | Writable }[]): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    for (const { label, stream } of streams) {
      // Listeners stay: a stream destroyed after the first error may emit more, and an unheard 'error' ends the process.
      stream.on('error', (e: Error) => reject(new FanOutError(label, e)));
    }
  });
  promise.catch(() => undefined);
  return promise;
}

export class FanOutError extends Error {
  constructor(
    readonly where: string,
    readonly reason: Error,
  ) {
    super(`${where}: ${reason.message}`);
  }
}

async function pump(reader: Readable, writers: Writable[], opts: FanOutOptions): Promise<number> {
  let bytes = 0;
  for await (const chunk of reader as AsyncIterable<Buffer>) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const waits: Promise<unknown>[] = [];
    for (const w of writers) if (!w.write(chunk)) waits.push(once(w, 'drain'));
    if (waits.length) await Promise.all(waits);
    bytes += chunk.length;
    opts.onChunk?.(chunk.length);
  }
  // 'finish' of a COPY FROM stream comes once the server has confirmed the copy.
  for (const w of writers) w.end();
  await Promise.all(writers.map((w) => finished(w)));
  return bytes;
}

/**
 * Runs `copyOut` (COPY ... TO STDOUT) on `source` and feeds its output to
 * `copyIn` (COPY ... FROM STDIN) on each target. On any error every COPY still
 * running is abandoned (the nodes get CopyFail) and the error is thrown; the
 * caller's transactions on the nodes then only roll back.
 */
export async function fanOutCopy(source: pg.Client, targets: { label: string; client: pg.Client }[], copyOut: string, copyIn: string, opts: FanOutOptions = {}): Promise<FanOutResult> {
  const reader = source.query(copyStreams.to(copyOut, { highWaterMark: 256 * 1024 }));
  const writers = targets.map((t) => t.client.query(copyStreams.from(copyIn, { highWaterMark: 256 * 1024 })));
  const failure = firstError([{ label: 'the source', stream: reader }, ...writers.map((w, i) => ({ label: targets[i].label, stream: w }))]);
  try {
    const bytes = await Promise.race([pump(reader, writers, opts), failure]);
    return { bytes, rows: reader.rowCount };
  } catch (e) {
    for (const w of writers) if (!w.writableFinished) w.destroy(e as Error);
    if (!reader.readableEnded) reader.destroy(e as Error);
    throw e;
  }
}
