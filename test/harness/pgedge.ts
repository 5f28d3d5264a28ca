// pgEdge nodes for the tests: the product's own (src/sandbox/pgedge.ts), from
// the prefix build.sh installs. Without the stack the pgEdge tests are skipped,
// saying how to build it; under CI its absence fails the run.
import { PGEDGE_BUILD_HINT, pgedgeMissing, pgedgePrefix } from '../../src/sandbox/pgedge.js';

export { startPgedgeNodes, createSpockMesh, waitForSpockMesh, spockDsn } from '../../src/sandbox/pgedge.js';

export const PGEDGE_PREFIX = pgedgePrefix();

/** True when the stack is there; otherwise warns (or, under CI, throws) and returns false. */
export function havePgedge(what: string): boolean {
  const missing = pgedgeMissing(PGEDGE_PREFIX);
  if (!missing) return true;
  const message = `the pgEdge stack is not built (${missing}); ${PGEDGE_BUILD_HINT}`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping ${what}: ${message}`);
  return false;
}
