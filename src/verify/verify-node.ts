// Placeholder until verify lands: the full comparison of one node with the source.
import type { TaskContext } from '../tasks/context.js';

export async function verifyNode(_ctx: TaskContext, _node: string): Promise<{ equal: boolean; summary: string }> {
  throw new Error('cutover.check: full is not available yet');
}
