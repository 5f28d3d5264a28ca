import { sandboxUp, sandboxDown } from '../sandbox/sandbox.js';
import { sandboxDemo } from '../sandbox/demo.js';

export async function sandboxUpCommand(opts: { dir: string; pgBin?: string; load?: boolean; rate?: string; pgedge?: boolean }, out: (s: string) => void): Promise<number> {
  await sandboxUp({ dir: opts.dir, pgBin: opts.pgBin, load: opts.load, rate: opts.rate ? Number(opts.rate) : undefined, pgedge: opts.pgedge }, out);
  out('sandbox is up. `migrate sandbox down` stops and removes it.\n');
  return 0;
}

export function sandboxDownCommand(opts: { dir: string }, out: (s: string) => void): number {
  out(sandboxDown(opts.dir) ? 'sandbox stopped and removed\n' : `no sandbox in ${opts.dir}\n`);
  return 0;
}

export async function sandboxDemoCommand(opts: { dir: string; reports: string; pgBin?: string; keep?: boolean; pgedge?: boolean }, out: (s: string) => void): Promise<number> {
  return sandboxDemo(opts, out);
}
