// Once per test run, before any project: dist/ built from src/ if it is older
// (npm test has just built it; a run of one file may not have). Never inside a
// test file: a rebuild while other files spawn dist/cli/main.js hands them
// half-written modules ("does not provide an export named ...").
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, e) => Math.max(newest, e.isDirectory() ? newestSource(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
}

export default function setup(): void {
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  // Type errors elsewhere in the tree still emit JavaScript; the CLI is what the tests run.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(MAIN)) throw new Error('tsc -p . did not produce dist/cli/main.js');
}
