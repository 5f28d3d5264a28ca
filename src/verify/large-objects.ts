// verify's comparison of large objects: not replicated, so a difference is
// never a change in flight, and is reported by oid at once.
import { withClient, pgErrorText } from '../pg/connect.js';
import { readLargeObjects, compareLargeObjects, type LargeObjectDigest } from '../pg/large-objects.js';
import type { VerifyTarget } from './verify-nodes.js';
import type { VerifyResult } from './result.js';

/**
 * Adds each node's large-object comparison to the result; a difference makes
 * the node (and the result) unequal. The source is read through the caller:
 * while the cutover has it frozen it takes no new connection.
 */
export async function addLargeObjects(result: VerifyResult, readSource: () => Promise<Map<string, LargeObjectDigest>>, targets: VerifyTarget[]): Promise<void> {
  const source = await readSource();
  await Promise.all(
    targets.map(async (t) => {
      const n = result.nodes.find((x) => x.node === t.node)!;
      try {
        n.large_objects = compareLargeObjects(source, await withClient(t.dsn, `node ${t.node}`, readLargeObjects));
        if (!n.large_objects.equal) n.equal = false;
      } catch (e) {
        n.error ??= `large objects could not be compared: ${pgErrorText(e)}`;
        n.equal = false;
      }
    }),
  );
  result.equal = result.nodes.every((n) => n.equal);
}
