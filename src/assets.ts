// The schema and the templates ship beside dist/ in the package; this is the
// one place that knows where they are, whether run from a checkout or an install.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function readAsset(...parts: string[]): string {
  return readFileSync(join(PACKAGE_ROOT, ...parts), 'utf8');
}

export function assetPath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
