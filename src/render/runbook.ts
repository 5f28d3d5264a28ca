// `migrate runbook`: Markdown a DBA could follow by hand, built from the same
// graph and step descriptions the executor runs.
import type { ResolvedPlan } from '../plan/plan.js';
import { buildGraph, waves, type Stage, type TaskSpec } from '../plan/graph.js';
import { redactConninfo, parseConninfo } from '../plan/conninfo.js';
import { describeTask, sourceDatabase, type DescribeContext } from './describe.js';
import { stepBody, stepHeading, stepText } from './steps.js';
import { renderSql, renderTemplate } from './templates.js';
import { shellQuote } from './shell.js';
import { fallbackOf } from '../plan/fallback.js';
import { unfreezeByHand } from './frozen-source.js';
import { guardMode, removeGuardSql } from './ddl-guard.js';

const STAGE_INTRO: Record<Stage, { title: string; intro: string }> = {
  apply: {
    title: 'Part 1: initial sync and change stream (`migrate apply`)',
    intro: 'Takes the source and empty nodes to nodes that hold a consistent copy and stream the source\'s changes. The source keeps taking writes throughout.',
  },
  cutover: {
    title: 'Part 2: cutover (`migrate cutover`)',
    intro: 'Stops writes on the source for as short a time as possible, waits until every node has applied them, makes the sequences safe, checks, switches the application, and removes the replication objects.',
  },
  rollback: {
    title: 'Part 3a: rollback (`migrate rollback`), with cutover.fallback',
    intro: 'Switches writes back to the source: freezes writes on every node, waits until the source has applied them through the fallback stream, sets the source\'s sequences past the nodes\', checks, switches the application, makes the source writable and drops the fallback stream. The nodes stay frozen, closed to connections and read-only: "Rolling back" below says how to open them.',
  },
  finalize: {
    title: 'Part 3b: finalize (`migrate finalize`), with cutover.fallback',
    intro: 'The point of no return: drops the fallback stream on both sides. The source stays read-only; rollback is no longer possible.',
  },
  ddl: {
    title: 'Schema changes while the nodes stream (`migrate ddl`)',
    intro: 'A schema change applied to the source and every node in the order that keeps replication running.',
  },
};

/** Mermaid node ids, readable and distinct: nodes n-1 and n_1 would otherwise both give restore_n_1. */
function mermaidIds(): (id: string) => string {
  const byTask = new Map<string, string>();
  const taken = new Set<string>();
  return (id) => {
    let m = byTask.get(id);
    if (m) return m;
    const base = id.replace(/[^A-Za-z0-9_]/g, '_');
    m = base;
    for (let i = 2; taken.has(m); i++) m = `${base}_${i}`;
    byTask.set(id, m);
    taken.add(m);
    return m;
  };
}

function mermaid(plan: ResolvedPlan): string[] {
  const mermaidId = mermaidIds();
  const lines: string[] = [];
  for (const stage of ['apply', 'cutover'] as Stage[]) {
    const g = buildGraph(plan, stage);
    lines.push(`  subgraph ${stage}["migrate ${stage}"]`);
    for (const t of g.tasks) lines.push(`    ${mermaidId(t.id)}["${t.id}"]`);
    for (const t of g.tasks) for (const d of t.deps) lines.push(`    ${mermaidId(d)} --> ${mermaidId(t.id)}`);
    lines.push('  end');
  }
  const applyLast = buildGraph(plan, 'apply').tasks.at(-1)!;
  lines.push(`  ${mermaidId(applyLast.id)} -.-> ready`);
  return lines;
}

function rollback(plan: ResolvedPlan, database: string, file: string): { phase: string; text: string }[] {
  const slots = plan.replication.map((r) => r.slot);
  const applySyncBack = plan.replication
    .map((r) => `On ${r.node}, with the subsynccommit you noted before the freeze (\`off\` unless you had set it):\n\n\`\`\`sql\n${renderSql('set-apply-sync.sql.hbs', { subscription: r.subscription, value: '<subsynccommit>' })}\n\`\`\``)
    .join('\n\n');
  const dropSubs = plan.replication.map((r) => `On ${r.node}:\n\n\`\`\`sql\n${renderSql('detach-subscription.sql.hbs', { subscription: r.subscription })}\n\`\`\``).join('\n\n');
  const dropSource = ['```sql', ...slots.map((s) => renderSql('drop-slot.sql.hbs', { slot: s })), ...plan.replication.map((r) => renderSql('drop-publication.sql.hbs', { publication: r.publication })), ...(guardMode(plan) ? ['-- The DDL guard (ddl.guard), installed after the dump:', removeGuardSql().trim()] : []), '```'].join('\n');
  return [
    { phase: 'Any time before the cutover: `migrate abort`', text: `\`migrate abort ${file}\` removes everything below and says what it removed. By hand: detach and drop each subscription on its node (so that dropping it does not try to reach the slot), then drop the slots and publications on the source. **A slot left behind holds WAL on the source until its disk fills.**\n\n${dropSubs}\n\nOn the source:\n\n${dropSource}` },
    { phase: 'During the dump or a restore', text: 'Stop the tool (Ctrl-C) or let it fail; `migrate apply` again resumes: a cut-off dump is retaken at a new anchor, a cut-off restore is redone after dropping exactly the objects of the dump from the node. The slots keep the WAL needed meanwhile; to give up instead, roll back as above and drop the restored objects on the nodes (`migrate abort --drop-data`).' },
    { phase: 'During the cutover, before the switch', text: `The tool unfreezes the source on any failure and puts back the subscriptions' synchronous_commit. By hand, from another database of the source's server (\`psql -d postgres\`: the frozen database takes no connection; the transaction is made read-write first, so it also works typed into a read-only session):\n\n\`\`\`sql\n${unfreezeByHand(database)}\n\`\`\`\n\n${plan.cutover.unfreeze_hook ? 'and run the unfreeze hook. ' : ''}${applySyncBack}\n\nReplication keeps running; nothing was lost. Fix the cause and run \`migrate cutover\` again.` },
    ...(fallbackOf(plan) ? [{ phase: 'During a rollback, before its switch (cutover.fallback)', text: rollbackUndo(plan) }] : []),
    fallbackOf(plan)
      ? { phase: 'After the switch (cutover.fallback)', text: `The fallback stream keeps the source equal to the nodes. \`migrate rollback ${file}\` (Part 3a) switches writes back to the source, exactly; \`migrate finalize ${file}\` (Part 3b) drops the stream and makes the nodes final. \`migrate abort\` refuses until one of them ran. **The fallback slot holds WAL on ${fallbackOf(plan)!.node} until rollback or finalize drops it** (\`migrate status\` shows how much).` }
      : { phase: 'After the switch', text: 'The nodes are the primary now and the source is read-only. Going back means migrating the other way: plan it as a new migration with the nodes as the source (or set cutover.fallback before the cutover).' },
  ];
}

/** Opening the nodes again by hand: a rollback called off before its switch, or nodes a rollback left closed that must take connections again. */
function rollbackUndo(plan: ResolvedPlan): string {
  const each = plan.nodes.map((n) => `On ${n.name}'s server, from another database (\`psql -d postgres\`: the frozen database takes no connection):\n\n\`\`\`sql\n${unfreezeByHand(parseConninfo(n.dsn).dbname ?? '<node database>')}\n\`\`\``).join('\n\n');
  return `The tool opens the nodes again on any failure before the rollback's switch; the fallback stream keeps running, so nothing written on the nodes is lost. By hand:\n\n${each}\n\nAfter a rollback the nodes stay closed like this on purpose: a write there would reach no source. Open them only to empty them for a new migration (\`migrate abort --drop-data\` does it) or once nothing will write to them.`;
}

/** What must hold before step 1, and how to follow the steps by hand. */
function prerequisites(plan: ResolvedPlan, file: string, database: string): { items: string[]; checks: { text: string; sql: string }[] } {
  const n = plan.replication.length;
  return {
    items: [
      `Run every shell command in the directory that holds \`${file}\`: the paths in them are relative to it.`,
      '`****` stands for a password: take it from your secret store (for the client programs: `PGPASSWORD`, or `~/.pgpass`).',
      'A value in angle brackets, such as `<consistent_point>`, exists only once the run has produced it: it is the column of that name in the result of an earlier step. Put the value where it stands.',
      'Open every session on the source with `PGOPTIONS=\'-c default_transaction_read_only=off\'`, as the tool does: from the freeze on, new sessions of the database are read-only, and the steps after it still write there (the frozen-position marker, dropping the publications).',
      ...(plan.cutover.freeze !== 'hook' ? ['Keep one psql session on the source open from before the freeze to the end of the cutover, and run every "SQL on the source" step in it: from the freeze on, the database takes no new connection (steps "on another database of the source\'s server" go through `psql -d postgres`).'] : []),
      ...(fallbackOf(plan) ? ['For a rollback (Part 3a), keep likewise one psql session on each node open from its readiness check to its end, and run every "SQL on" a node step in it: the nodes\' freeze closes their databases to new connections (steps "on another database of a node\'s server" go through `psql -d postgres` there).'] : []),
      `On the source: \`wal_level = logical\` (a restart if it is not); a role with \`REPLICATION\` (slots, the anchor) that may read every table (\`pg_dump\`) and create publications (\`FOR ALL TABLES\` needs a superuser); at least ${n + 1} free replication slots and ${n + 1} free WAL senders (one per node, and the anchor's).`,
      `\`pg_hba.conf\` on the source admits this machine and every node to database \`${database}\` (a \`replication=database\` connection matches the ordinary lines, not the \`replication\` ones).`,
      'On every node: an empty database; a superuser for `CREATE SUBSCRIPTION` and `pg_replication_origin_advance`; a free logical replication worker (`max_logical_replication_workers`, `max_worker_processes`).',
      '`pg_dump`, `pg_restore` and `vacuumdb` of a major version not older than the source\'s.',
      'No DDL on the source from step 1 until the cutover has finished: logical replication does not carry schema changes, and a changed table stops the stream.',
    ],
    checks: [
      { text: `wal_level is logical, may_replicate is t, free_slots and free_wal_senders are at least ${n + 1}. (on source)`, sql: PREREQ_SOURCE },
      ...plan.nodes.map((x) => ({ text: `tables is 0: the node is empty. (on ${x.name})`, sql: PREREQ_NODE })),
    ],
  };
}

const PREREQ_SOURCE = `SELECT current_setting('wal_level') AS wal_level,
       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may_replicate,
       current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots) AS free_slots,
       current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication) AS free_wal_senders;`;

const PREREQ_NODE = "SELECT count(*) AS tables FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'pglogical', 'spock', 'snowflake');";

/** Not a task of the graph: `migrate cutover` (with a fallback stream, `migrate finalize`) removes the dump once all of them have succeeded. */
function removeDumpStep(number: number, dumpDir: string, tasks: TaskSpec[], stream: boolean) {
  const last = tasks.filter((t) => !tasks.some((x) => x.deps.includes(t.id)));
  return {
    number,
    id: 'remove-dump',
    title: 'Remove the dump',
    deps: last.map((t) => `\`${t.id}\``).join(', '),
    parallel: '',
    blocks: [{ heading: "Shell, in the plan's directory", body: { lang: 'sh', text: `rm -rf ${shellQuote(dumpDir)}` }, note: `${stream ? 'It holds the source\'s schema only (copy.method stream), which the nodes have now.' : 'The dump is a complete copy of the source\'s data, and the data is on the nodes now.'} \`migrate cutover\` (with cutover.fallback, \`migrate finalize\`) removes it once every step has succeeded (and \`migrate abort\` does too).` }],
    check: null,
  };
}

export function renderRunbook(plan: ResolvedPlan, ctx: Omit<DescribeContext, 'plan' | 'reveal'> & { file: string }): string {
  let number = 0;
  const stages = (['apply', 'cutover', ...(fallbackOf(plan) ? ['rollback', 'finalize'] : [])] as Stage[]).map((stage) => {
    const graph = buildGraph(plan, stage);
    const ws = waves(graph);
    const waveOf = new Map<string, TaskSpec[]>();
    for (const w of ws) for (const t of w) waveOf.set(t.id, w);
    return {
      ...STAGE_INTRO[stage],
      steps: graph.tasks.map((t) => {
        const d = describeTask(t, { ...ctx, plan, reveal: false });
        const peers = waveOf.get(t.id)!.filter((x) => x.id !== t.id).map((x) => `\`${x.id}\``);
        return {
          number: ++number,
          id: t.id,
          title: t.title,
          deps: t.deps.map((x) => `\`${x}\``).join(', '),
          parallel: peers.join(', '),
          blocks: d.steps.map((s) => ({ heading: stepHeading(plan, s), body: stepBody(s) ?? null, note: stepText(s) ?? null })),
          check: d.check ? { text: d.check.text + (d.check.on ? ` (on ${d.check.on})` : ''), sql: d.check.sql ?? null } : null,
        };
      }),
    };
  });
  // With a fallback stream the dump stays until finalize: after a rollback, abort --drop-data reads from it what to drop.
  const last = fallbackOf(plan) ? 'finalize' : 'cutover';
  stages[last === 'finalize' ? 3 : 1].steps.push(removeDumpStep(0, ctx.dumpDir, buildGraph(plan, last).tasks, plan.copy.method === 'stream'));
  // Numbered in the order they stand: the dump's removal ends the cutover, before rollback and finalize.
  number = 0;
  for (const st of stages) for (const step of st.steps) step.number = ++number;
  const published = plan.publish.tables ? `tables ${plan.publish.tables.join(', ')}` : plan.publish.schemas ? `schemas ${plan.publish.schemas.join(', ')}` : 'all tables';
  return renderTemplate('runbook.md.hbs', {
    name: plan.name,
    file: ctx.file,
    source: redactConninfo(plan.source.dsn),
    nodes: plan.nodes.map((n) => ({ name: n.name, kind: n.kind, dsn: redactConninfo(n.dsn) })),
    replication: plan.replication,
    published,
    dumpDir: ctx.dumpDir,
    dumpJobs: plan.dump.jobs,
    restoreJobs: plan.restore.jobs,
    stream: plan.copy.method === 'stream',
    copyJobs: plan.copy.jobs,
    mermaid: mermaid(plan),
    stages,
    rollback: rollback(plan, sourceDatabase({ ...ctx, plan, reveal: false }), ctx.file),
    prerequisites: prerequisites(plan, ctx.file, sourceDatabase({ ...ctx, plan, reveal: false })),
  });
}
