// `migrate sandbox demo`: the whole journey on the local sandbox, each step
// shown as the command a user would type, then everything torn down but the
// reports.
import { spawn } from 'node:child_process';
import { resolve, relative } from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assetPath } from '../assets.js';
import { sandboxDown, sandboxEnv, sandboxPlan, sandboxUp, stopLoad } from './sandbox.js';
import { OperationError } from '../errors.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function step(args: string[], env: Record<string, string>, say: (s: string) => void): Promise<number> {
  say(`\n$ migrate ${args.join(' ')}\n`);
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code) => res(code ?? 1));
  });
}

export async function sandboxDemo(opts: { dir: string; reports: string; pgBin?: string; keep?: boolean; pgedge?: boolean }, say: (s: string) => void): Promise<number> {
  const started = Date.now();
  const reports = resolve(opts.reports);
  const planFile = sandboxPlan(opts);
  const plan = relative(process.cwd(), assetPath('plans', planFile)) || assetPath('plans', planFile);
  say(`== pgedge-migrate demo: a live source, ${opts.pgedge ? 'a three-node pgEdge cluster' : 'two nodes'}, one migration ==\n`);
  const state = await sandboxUp({ dir: opts.dir, pgBin: opts.pgBin, pgedge: opts.pgedge }, say);
  const env = { ...sandboxEnv(state), MIGRATE_STATE_DIR: reports, PATH: `${state.pgBin}:${process.env.PATH ?? ''}` };
  let failed: string | undefined;
  try {
    const journey: [string[], boolean][] = [
      [['validate', plan], true],
      [['check', plan], true],
      [['apply', plan], true],
      [['status', plan], true],
      [['verify', plan], true],
      [['cutover', plan, '--yes'], true],
    ];
    for (const [args, mustPass] of journey) {
      if (args[0] === 'cutover') say('\n(the write load keeps running into the cutover; its sessions end when writes freeze)\n');
      const code = await step(args, env, say);
      if (code !== 0 && mustPass) {
        failed = `migrate ${args[0]} exited ${code}`;
        break;
      }
      if (args[0] === 'apply') await new Promise((r) => setTimeout(r, 2000)); // let the load stream a little
    }
  } finally {
    stopLoad(state);
    if (!opts.keep) {
      sandboxDown(state.dir);
      say(`\nsandbox stopped and removed (${relative(process.cwd(), state.dir) || state.dir})\n`);
    } else say(`\nsandbox kept running in ${state.dir}; \`migrate sandbox down\` removes it\n`);
  }
  const runs = existsSync(resolve(reports, 'runs')) ? readdirSync(resolve(reports, 'runs')).sort() : [];
  say(`\nReports (${((Date.now() - started) / 1000).toFixed(0)} s in all):\n`);
  for (const r of runs) say(`  ${relative(process.cwd(), resolve(reports, 'runs', r, 'report.md'))}\n`);
  if (failed) throw new OperationError(`the demo stopped: ${failed}`);
  say('\nThe demo migrated a live database with no lost write. Next: write your own plan (README.md, plans/aurora-to-pgedge.yaml).\n');
  return 0;
}
