// Checks of this machine: the client programs apply and cutover run, and the
// disk the dump is written to. The rules are in rules/tools.*.ts.
import type { CheckContext, SourceFacts } from './context.js';
import type { Finding } from './finding.js';
import { judge } from './judge.js';
import { TOOL_RULES } from './registry.js';
import { readToolFacts } from './read/tool-facts.js';

export async function checkTools(ctx: CheckContext, source: SourceFacts | undefined): Promise<Finding[]> {
  return judge(TOOL_RULES, await readToolFacts(ctx, source), ctx, 'tools');
}
