#!/usr/bin/env node
// Registers the commands; each lives in its own file and is a plain function.
import { Command, CommanderError, Option } from 'commander';
import { reportError, EXIT } from './exit.js';

// `migrate --help | head -1`: a reader that has gone is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

const out = (s: string) => void process.stdout.write(s);
const err = (s: string) => void process.stderr.write(s);

const program = new Command('migrate')
  .description('Move a live PostgreSQL database onto pgEdge (or PostgreSQL) nodes with near-zero downtime, from a reviewed YAML plan.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureOutput({ writeOut: out, writeErr: err })
  .addHelpText('after', '\nExit codes: 0 success, 1 a run failed or found problems, 2 invalid plan or usage.\nDocs: README.md; plan format: schemas/plan.schema.json');

const takeOverOption = () => new Option('--take-over', 'the run that created the plan\'s publications, slots and subscriptions (another state directory) is gone for good: take them over');
const stateDirOption = () => new Option('--state-dir <dir>', 'where the journal, lock and reports live (default: the plan\'s state_dir, or .migrate/<name> beside the plan)').env('MIGRATE_STATE_DIR');

program
  .command('validate')
  .description('check a plan: every problem at once, as FILE:LINE:COL: message')
  .argument('<plan>', 'plan file (YAML)')
  .action(async (file: string) => (await import('./validate.js')).validateCommand(file, out));

program
  .command('plan')
  .description('print the task graph in execution order, with the SQL and commands each task runs')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => (await import('./plan.js')).planCommand(file, opts, out, err));

program
  .command('runbook')
  .description('write a Markdown runbook a DBA could follow by hand')
  .argument('<plan>', 'plan file (YAML)')
  .option('-o, --output <file>', 'write to FILE instead of standard output')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => (await import('./runbook.js')).runbookCommand(file, opts, out, err));

program
  .command('check')
  .description('preflight: connect to the source, every node and the tools, change nothing, and report each finding with why it matters and its fix')
  .argument('[plan]', 'plan file (YAML); not needed with --list or --explain')
  .option('--list', 'list every check: id, target, severity, title (no plan needed)')
  .option('--explain <id>', 'why a check matters and how to fix what it finds (no plan needed)')
  .option('--json', 'machine-readable output: { ok, findings }')
  .addOption(new Option('--format <format>', 'table, json, or github (annotations; the default under GitHub Actions)').choices(['table', 'json', 'github']))
  .option('--skip-check <name...>', 'report these findings as info: the operator has judged them (names as printed, e.g. source.inactive_slots)')
  .addOption(stateDirOption())
  .action(async (file: string | undefined, opts) => {
    process.exitCode = await (await import('./check.js')).checkCommand(file, opts, out, err);
  });

program
  .command('apply')
  .description('create the publications and slots, take the snapshot-exact dump, restore every node, start the streams and wait for catch-up; a rerun resumes where the last one stopped. A fresh apply runs `migrate check` first and refuses to start on an error.')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .option('--skip-check <name...>', 'start despite these preflight findings (names as `migrate check` shows them)')
  .addOption(takeOverOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./apply.js')).applyCommand(file, opts, out, err);
  });

program
  .command('status')
  .description('replication per node: subscription, apply worker, positions, lag, and the WAL each slot holds on the source')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .option('--json', 'machine-readable output')
  .option('--watch', 'redraw every few seconds with the apply rate and a lag trend (a line per node and interval when not a terminal); Ctrl-C stops')
  .option('--interval <seconds>', 'with --watch: seconds between readings (default 2)', (v: string) => Number(v))
  .option('--prometheus', 'print the metrics in Prometheus text format (as `migrate metrics` serves them)')
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./status.js')).statusCommand(file, opts, out);
  });

program
  .command('metrics')
  .description('serve the replication metrics on /metrics for Prometheus, and/or write them for node_exporter\'s textfile collector, until stopped')
  .argument('<plan>', 'plan file (YAML)')
  .option('--listen <host:port>', 'where to serve /metrics (default 127.0.0.1:9187, unless only --textfile is given)')
  .option('--textfile <path>', 'also write the metrics to PATH (atomically) every --interval seconds')
  .option('--interval <seconds>', 'seconds between textfile writes (default 15)', (v: string) => Number(v))
  .option('--once', 'write the textfile once and exit (for cron)')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./metrics.js')).metricsCommand(file, opts, out, err);
  });

program
  .command('verify')
  .description('compare every replicated table of every node with the source, inside the databases, while replication runs; names the key ranges that differ')
  .argument('<plan>', 'plan file (YAML)')
  .option('--json', 'machine-readable output')
  .option('--node <name>', 'only this node')
  .option('--ranges <n>', 'key ranges per table in the first pass (default: one per 10,000 rows, at most 1000)', (v: string) => Number(v))
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./verify.js')).verifyCommand(file, opts, out, err);
  });

program
  .command('compare')
  .description('run the same read queries on the source and every node at the same time and compare their latency (p50/p95/p99) and plans; exit 1 when a query is slower on a node. Read-only.')
  .argument('<plan>', 'plan file (YAML)')
  .option('--queries <file>', 'the queries file (default: compare.queries in the plan)')
  .option('--from-stats <n>', "the source's top N read statements from pg_stat_statements instead (approximate)", (v: string) => Number(v))
  .option('--duration <seconds>', 'measured time after the warm-up (default: compare.duration_seconds, 30)', (v: string) => Number(v))
  .option('--count <n>', 'instead of a duration: executions of each query per target', (v: string) => Number(v))
  .option('--warmup <seconds>', 'unmeasured warm-up (default: compare.warmup_seconds, 3)', (v: string) => Number(v))
  .option('--concurrency <n>', 'sessions per target (default: compare.concurrency, 2)', (v: string) => Number(v))
  .option('--rate <qps>', 'fixed rate per target, latency from the schedule (default: compare.rate, or a closed loop)', (v: string) => Number(v))
  .option('--node <name...>', 'only these nodes')
  .option('--output <dir>', 'where report.md, report.json and chart.svg go (default: <state_dir>/runs/<time>-compare)')
  .option('--json', 'print report.json instead of the table')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./compare.js')).compareCommand(file, opts, out, err);
  });

program
  .command('cutover')
  .description('freeze writes on the source, wait for every node, set sequences, check, switch, then drop the replication objects; reports the write downtime')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .option('-y, --yes', 'do not ask for confirmation in a terminal (never asked when not a terminal, or under CI)')
  .addOption(takeOverOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./cutover.js')).cutoverCommand(file, opts, out, err);
  });

program
  .command('rollback')
  .description('after a cutover with cutover.fallback: freeze writes on the nodes, wait until the source has them, set its sequences, check, switch back, make the source writable; reports the write downtime')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./rollback.js')).rollbackCommand(file, opts, out, err);
  });

program
  .command('finalize')
  .description('after a cutover with cutover.fallback: drop the reverse stream; rollback is no longer possible')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./finalize.js')).finalizeCommand(file, opts, out, err);
  });

program
  .command('abort')
  .description('remove everything the migration created (subscriptions, slots, publications, a write freeze) and its journal; safe to repeat')
  .argument('<plan>', 'plan file (YAML)')
  .addOption(stateDirOption())
  .option('--drop-data', 'also drop the restored objects on the nodes (only when asked; never after the switch)')
  .option('-y, --yes', 'do not ask for confirmation in a terminal (never asked when not a terminal, or under CI)')
  .addOption(takeOverOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./abort.js')).abortCommand(file, opts, out, err);
  });

program
  .command('ddl')
  .description('apply a schema change to the source and every node in the order that keeps replication running (additions on the nodes first, removals on the source first), and bring the subscriptions up to date; refuses what it cannot order safely, with the manual procedure. Resumable: run it again to finish.')
  .argument('<plan>', 'plan file (YAML)')
  .option('-c, --command <sql>', 'the schema change, one or more statements')
  .option('-f, --file <file>', 'read the schema change from FILE')
  .option('--recorded <id...>', 'bring statements the DDL guard recorded as run by hand on the source to the nodes (ids as `migrate status` shows them)')
  .option('--dry-run', 'print the ordered steps with their SQL and change nothing')
  .option('-y, --yes', 'do not ask for confirmation in a terminal (never asked when not a terminal, or under CI)')
  .addOption(stateDirOption())
  .action(async (file: string, opts) => {
    process.exitCode = await (await import('./ddl.js')).ddlCommand(file, opts, out, err);
  });

const sandbox = program
  .command('sandbox')
  .description('a local source and two nodes to try migrate on: up, down, or the whole demo');

sandbox
  .command('up')
  .description('start a source and two nodes on loopback with a sample database and a gentle write load')
  .option('--dir <dir>', 'where the sandbox keeps its state and env file', '.sandbox')
  .option('--pg-bin <dir>', 'PostgreSQL server binaries (default: PG_BIN, pg_config --bindir, /usr/lib/postgresql/*/bin)')
  .option('--no-load', 'start no write load')
  .option('--rate <tps>', 'write load in transactions per second', '50')
  .option('--pgedge', 'three pgEdge nodes (Spock mesh, Snowflake) from the built stack (PGEDGE_PREFIX) instead of two plain ones')
  .action(async (opts) => {
    process.exitCode = await (await import('./sandbox.js')).sandboxUpCommand(opts, out);
  });

sandbox
  .command('down')
  .description('stop and remove the sandbox')
  .option('--dir <dir>', 'the sandbox directory', '.sandbox')
  .action(async (opts) => {
    process.exitCode = (await import('./sandbox.js')).sandboxDownCommand(opts, out);
  });

sandbox
  .command('demo')
  .description('the whole journey on a fresh sandbox: validate, check, apply, status, verify, cutover; then removes the sandbox and keeps the reports')
  .option('--dir <dir>', 'the sandbox directory', '.sandbox')
  .option('--reports <dir>', 'where the run reports are kept', 'demo-reports')
  .option('--pg-bin <dir>', 'PostgreSQL server binaries')
  .option('--keep', 'leave the sandbox running afterwards')
  .option('--pgedge', 'against three pgEdge nodes (Spock mesh, Snowflake) from the built stack, with plans/sandbox-pgedge.yaml')
  .action(async (opts) => {
    process.exitCode = await (await import('./sandbox.js')).sandboxDemoCommand(opts, out);
  });

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.invalid;
    }
    return reportError(e);
  }
}

process.exitCode = await main();
// Everything the tool opens is closed when its work ends; if something slipped
// through, CI must still get the exit code rather than wait forever.
setTimeout(() => process.exit(), 2_000).unref();
