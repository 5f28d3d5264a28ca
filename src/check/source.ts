// Checks of the source: can it decode, can this role publish and read, what will
// the stream not carry, and what is already there that the plan would trip on.
// Read-only catalog queries only (see session.ts); the rules are in rules/source.*.ts.
import type pg from 'pg';
import type { CheckContext } from './context.js';
import type { SourceCatalog, SourceSummary } from './facts.js';
import type { Finding } from './finding.js';
import { judge } from './judge.js';
import { SOURCE_RULES } from './registry.js';
import { readSourceCatalog } from './read/source-catalog.js';
import { rule as primary } from './rules/source.primary.js';

export { readSourceSummary } from './read/source-summary.js';

/** Every source rule, given what readSourceSummary found; a standby is that one finding and nothing else is read. */
export async function checkSource(c: pg.Client, ctx: CheckContext, summary: SourceSummary): Promise<Finding[]> {
  // source.primary judges the summary's `standby` alone.
  if (summary.standby) return judge([primary], summary as SourceCatalog, ctx, 'source');
  return judge(SOURCE_RULES, await readSourceCatalog(c, ctx, summary), ctx, 'source');
}
