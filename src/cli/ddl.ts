// `migrate ddl PLAN -c SQL | -f FILE`: a schema change made while the nodes
// stream, on the source and every node in the order that keeps replication
// running. Everything is parsed, classified and checked against the catalogs
// before anything runs; what cannot be ordered safely is refused (exit 2)
// with the manual procedure. Journaled like apply: a rerun finishes the change.
import { readFileSync } from 'node:fs';
import { loadPlan, stateDir as planStateDir, dumpDir as planDumpDir, type LoadedPlan } from '../plan/load.js';
import { formatProblem } from '../plan/problem.js';
import { runStage } from '../engine/run-stage.js';
import { Journal } from '../engine/journal.js';
import { loadSqlParser } from '../compare/read-only.js';
import { classifyDdl, type DdlStatement, type Refusal } from '../ddl/classify.js';
import { buildDdlGraph, changeId, type DdlChange } from '../ddl/ddl-graph.js';
import { inspectChange } from '../engine/ddl-inspect.js';
import { renderDdlText } from '../render/ddl-text.js';
import { withClient } from '../pg/connect.js';
import { readRecordedDdl } from '../pg/ddl-log.js';
import { confirm, mayAsk } from './confirm.js';
import { UsageError } from '../errors.js';
import type { RunReport, TaskRecord } from '../report/report.js';
import type { TaskGraph } from '../plan/graph.js';

export interface DdlOptions {
  command?: string;
  file?: string;
  dryRun?: boolean;
  yes?: boolean;
  stateDir?: string;
  recorded?: string[];
}

/** The change's text, and the guard's records it brings, from the command line. */
async function readChange(loaded: LoadedPlan, opts: DdlOptions): Promise<{ text: string; recorded?: string[] } | undefined> {
  if (opts.command !== undefined) return { text: opts.command };
  if (opts.file !== undefined) {
    try {
      return { text: readFileSync(opts.file, 'utf8') };
    } catch (e) {
      throw new UsageError(`cannot read ${opts.file}: ${(e as Error).message}`);
    }
  }
  const records = await withClient(loaded.plan.source.dsn, 'the source', (c) => readRecordedDdl(c, { pendingOnly: false }));
  if (!records) {
    throw new UsageError(
      'the DDL guard is not installed on the source (ddl.guard in the plan): there is no record of statements run there by hand',
      'Give the statement with -c "SQL" instead: where the source already has its effect, it is skipped there and applied to the nodes.',
    );
  }
  const wanted = opts.recorded!;
  const unknown = wanted.filter((id) => !records.some((r) => r.id === id));
  if (unknown.length) throw new UsageError(`no statement ${unknown.join(', ')} in the guard's record on the source`, '`migrate status` lists the recorded statements not yet brought to the nodes, with their ids.');
  const pending = records.filter((r) => wanted.includes(r.id) && !r.brought_at);
  if (!pending.length) return undefined;
  // One client query may hold several statements, and the guard records it once per statement.
  const texts = [...new Set(pending.map((r) => r.statement.trim().replace(/;?$/, ';')))];
  return { text: texts.join('\n'), recorded: pending.map((r) => r.id) };
}

function refused(r: Refusal, err: (s: string) => void): number {
  err(`migrate ddl refused statement ${r.n}: ${r.statement.replace(/\s+/g, ' ')}\n  why: ${r.reason}.\n  instead: ${r.procedure}\nNothing was changed on the source or any node.\n`);
  return 2;
}

/** The change runs between a finished apply and the cutover's switch: the nodes stream from the source. */
function ensureStreaming(journal: Journal, file: string): void {
  const f = journal.facts;
  if (f.switched_at) throw new UsageError(`the cutover switched the application to the nodes at ${f.switched_at}: the source no longer feeds them`, 'Change the schema on the nodes themselves now (pgEdge replicates DDL between its nodes).');
  if (f.freeze) throw new UsageError('a cutover froze writes on the source and has not finished', `Finish it (\`migrate cutover ${file}\`) or call it off first.`);
  if (!journal.data.completed.apply) {
    throw new UsageError(`\`migrate apply ${file}\` has not completed (state directory ${journal.path.replace(/\/journal\.json$/, '')}): no stream to keep running yet`, 'Before apply, change the source alone (the dump carries the change to the nodes); while apply runs, let it finish first.');
  }
}

function ddlReport(change: DdlChange, records: TaskRecord[], graph: TaskGraph): NonNullable<RunReport['ddl']> {
  const byId = new Map(records.map((r) => [r.id, r]));
  const statements = change.statements.map((st) => {
    const targets: Record<string, string> = {};
    for (const t of graph.tasks.filter((x) => x.kind === 'ddl-statement' && x.ddl!.statement.n === st.n)) {
      const r = byId.get(t.id);
      targets[t.ddl!.target] = !r || r.status === 'skipped' ? 'not done' : r.status === 'already-done' || /^already /.test(r.summary ?? '') ? 'already there' : r.status === 'succeeded' ? 'done' : r.status;
    }
    return { n: st.n, statement: st.sql, kind: st.kind, action: st.action, targets };
  });
  return { change: change.id, statements, ...(change.recorded ? { recorded: change.recorded } : {}) };
}

function whereEachStands(report: NonNullable<RunReport['ddl']>): string {
  return report.statements.map((s) => `statement ${s.n} (${s.action}): ${Object.entries(s.targets).map(([t, v]) => `${t} ${v}`).join(', ')}`).join('; ');
}

/** What the change will do, for the operator to confirm. */
function actions(statements: DdlStatement[]): string[] {
  return statements.map((s) => `${s.kind === 'additive' ? 'on every node, then on the source' : 'on the source, then (once every node has confirmed) on the nodes'}: ${s.sql.replace(/\s+/g, ' ')}${s.action === 'create-table' ? ' (then added to the publications and copied to the nodes by table sync)' : ''}`);
}

export async function ddlCommand(file: string, opts: DdlOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const given = [opts.command !== undefined, opts.file !== undefined, Boolean(opts.recorded?.length)].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give the schema change with exactly one of -c "SQL", -f FILE or --recorded ID...', 'See `migrate ddl --help`.');
  const loaded = loadPlan(file);
  for (const w of loaded.warnings) err(formatProblem(w) + '\n');
  const state = planStateDir(loaded, opts.stateDir);
  ensureStreaming(Journal.open(state, loaded.plan.name), file);
  const input = await readChange(loaded, opts);
  if (!input) {
    out('Nothing to do: every statement named was brought to the nodes already. The databases were not touched.\n');
    return 0;
  }
  await loadSqlParser();
  const classified = classifyDdl(input.text);
  if (!classified.ok) return refused(classified.refusal, err);
  const inspected = await inspectChange(loaded.plan, classified.statements);
  if (!inspected.ok) return refused(inspected.refusal, err);
  const id = changeId(input.recorded ? `recorded ${input.recorded.join(',')}\n${input.text}` : input.text);
  const change: DdlChange = { id, statements: inspected.statements, ...(input.recorded ? { recorded: input.recorded } : {}) };
  const graph = buildDdlGraph(loaded.plan, change);
  if (opts.dryRun) {
    out(renderDdlText(loaded.plan, change, graph, { dumpDir: planDumpDir(loaded, state), facts: {} }));
    out('Dry run: nothing was changed.\n');
    return 0;
  }
  if (mayAsk(opts)) {
    out(`migrate ddl ${file} (change ${id}) will:\n`);
    if (!(await confirm(actions(change.statements), 'Apply the change now?', out))) {
      err('Not applied: nothing was changed.\n');
      return 1;
    }
  }
  out(`Change ${id}: ${change.statements.length} statement${change.statements.length === 1 ? '' : 's'}, ${graph.tasks.length} steps.\n`);
  const result = await runStage(loaded, 'ddl', {
    graph,
    stateDir: opts.stateDir,
    out,
    err,
    after: async ({ report, records }) => {
      report.ddl = ddlReport(change, records, graph);
      if (report.status === 'failed') report.next_steps = `Where each statement stands: ${whereEachStands(report.ddl)}. Run the same command again to finish the change: what is done anywhere is not done twice.`;
    },
    nextSteps: () => 'Run the same command again to finish the change: what is done anywhere is not done twice.',
  });
  return result.exitCode;
}
