// Steps as text, for the terminal (`migrate plan`) and for Markdown.
import type { ResolvedPlan } from '../plan/plan.js';
import { redactConninfo } from '../plan/conninfo.js';
import { shellLine } from './shell.js';
import type { Step } from './describe.js';

export function whereLabel(plan: ResolvedPlan, on: string): string {
  if (on === 'source') return `the source (${redactConninfo(plan.source.dsn)})`;
  if (on === 'nodes') return 'every node';
  // A database cannot close itself to connections: that is done from another one.
  if (on === 'source-server') return `another database of the source's server (postgres or template1, as the source's role; ${redactConninfo(plan.source.dsn)})`;
  const server = /^server:(.+)$/.exec(on);
  const n = plan.nodes.find((x) => x.name === (server ? server[1] : on));
  if (server && n) return `another database of ${n.name}'s server (postgres or template1; ${redactConninfo(n.dsn)})`;
  return n ? `${on} (${redactConninfo(n.dsn)})` : on;
}

export function commandLine(step: Extract<Step, { type: 'command' }>): string {
  const c = step.command;
  const env = Object.keys(c.env).map((k) => `${k}=****`);
  if (c.program === '/bin/sh' && c.argv[0] === '-c') return c.argv[1];
  // The password went to PGPASSWORD; an sslpassword has no variable and stays in --dbname.
  const argv = c.argv.map((a) => (a.startsWith('--dbname=') ? `--dbname=${redactConninfo(a.slice('--dbname='.length))}` : a));
  return [...env, shellLine([c.program, ...argv])].join(' ');
}

export function stepHeading(plan: ResolvedPlan, step: Step): string {
  switch (step.type) {
    case 'sql':
      if (step.output?.kind === 'statements') return `SQL on ${whereLabel(plan, step.on)}, which prints the statements to run on ${whereLabel(plan, step.output.on)}, in one transaction`;
      if (step.output?.kind === 'query') return `SQL on ${whereLabel(plan, step.on)}, which prints a query to run on ${step.output.on.map((w) => whereLabel(plan, w)).join(' and on ')}: the results must be equal`;
      return `SQL on ${whereLabel(plan, step.on)}`;
    case 'replication':
      return `Replication protocol command on ${whereLabel(plan, 'source')} (replication=database)`;
    case 'command':
      return 'Shell, in the plan\'s directory';
    case 'wait':
      return step.on ? `Watch, on ${whereLabel(plan, step.on)}` : 'Watch';
  }
}

export function stepBody(step: Step): { lang: string; text: string } | undefined {
  switch (step.type) {
    case 'sql':
      return { lang: 'sql', text: step.sql.trim() };
    case 'replication':
      // psql sends a command once it reads the semicolon; the walsender's grammar accepts it.
      return { lang: 'sql', text: step.command.trim().replace(/;?$/, ';') };
    case 'command':
      return { lang: 'sh', text: commandLine(step) };
    case 'wait':
      return step.sql ? { lang: 'sql', text: step.sql.trim() } : undefined;
  }
}

export function stepText(step: Step): string | undefined {
  return step.type === 'wait' ? step.text : step.note;
}
