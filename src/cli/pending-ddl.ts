// DDL the guard recorded on the source and `migrate ddl` has not brought to
// the nodes yet: `status` shows it (and exits 1), `cutover` refuses while any
// exists. The nodes lack such a change, so a cutover would leave them with
// another schema than the application was using.
import type { ResolvedPlan } from '../plan/plan.js';
import type { Facts } from '../facts.js';
import { withClient, pgErrorText } from '../pg/connect.js';
import { readRecordedDdl, type RecordedDdl } from '../pg/ddl-log.js';
import { OperationError } from '../errors.js';
import { shellQuote } from '../render/shell.js';

export interface PendingDdl {
  /** undefined: the guard is not installed on the source. */
  pending?: RecordedDdl[];
  error?: string;
}

export async function readPendingDdl(plan: ResolvedPlan): Promise<PendingDdl> {
  try {
    return { pending: await withClient(plan.source.dsn, 'the source', (c) => readRecordedDdl(c, { pendingOnly: true })) };
  } catch (e) {
    return { error: pgErrorText(e) };
  }
}

/** One line per statement: what, when, who, and the command that brings it to the nodes. */
export function formatPendingDdl(rows: RecordedDdl[], file: string): string {
  const statement = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}...` : s).replace(/\s*\n\s*/g, ' ');
  return rows.map((r) => `  #${r.id}  ${r.at}  ${r.role}  ${statement(r.statement)}\n        bring it to the nodes: migrate ddl ${shellQuote(file)} --recorded ${r.id}`).join('\n');
}

/** The status section; empty when there is nothing to say. */
export function ddlStatusSection(p: PendingDdl, facts: Facts, file: string): string {
  const parts: string[] = [];
  if (facts.ddl_guard && !facts.ddl_guard.installed && !facts.ddl_guard.removed_at) parts.push(`!! The DDL guard is OFF (ddl.guard: ${facts.ddl_guard.mode}): ${facts.ddl_guard.off_because}. DDL on the source is neither recorded nor refused.`);
  if (p.error) parts.push(`The DDL guard's record could not be read on the source: ${p.error}`);
  if (p.pending?.length) {
    const n = p.pending.length;
    parts.push(`!! ${n} DDL statement${n === 1 ? ' was' : 's were'} run on the source and not brought to the nodes (recorded by the DDL guard); the nodes' schema differs until then, and cutover refuses:\n${formatPendingDdl(p.pending, file)}`);
  }
  return parts.map((x) => `\n${x}\n`).join('');
}

/** Before a cutover freezes anything: recorded DDL still pending stops it. */
export async function refuseWhileDdlPending(plan: ResolvedPlan, file: string): Promise<void> {
  const p = await readPendingDdl(plan);
  if (p.error) throw new OperationError(`cutover refused: the DDL guard's record could not be read on the source: ${p.error}`, 'Nothing was changed. Fix the cause (see migrate status) and run cutover again.');
  if (!p.pending?.length) return;
  const n = p.pending.length;
  throw new OperationError(
    `cutover refused: ${n} DDL statement${n === 1 ? '' : 's'} run on the source ${n === 1 ? 'has' : 'have'} not been brought to the nodes (recorded by the DDL guard). Nothing was changed; the source stays writable.\n${formatPendingDdl(p.pending, file)}`,
    `Bring each to the nodes with the command shown (migrate ddl ... --recorded ID), then run cutover again.`,
  );
}
