// node_exporter's textfile collector reads *.prom files from a directory; a
// file it reads half-written is a scrape error, so the new one is written
// beside it and renamed over it.
import { renameSync, writeFileSync } from 'node:fs';
import { renderPrometheus } from './prometheus.js';
import type { ReplicationSample } from './sample.js';

export async function writeTextfile(path: string, sample: ReplicationSample): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, await renderPrometheus(sample));
  renameSync(tmp, path);
}
