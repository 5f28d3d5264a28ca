// The run report: what ran, when, how long, what it found, and the commands
// it ran. report.json for machines, report.md for people and job summaries.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport, TaskRecord } from './report.types.js';
import type { Redactor } from '../secrets.js';
import { renderTemplate } from '../render/templates.js';

export type { RunReport, TaskRecord };

export function writeReport(runDir: string, report: RunReport, redactor: Redactor): { json: string; md: string } {
  const safe = redactor.redactValue(report);
  const json = join(runDir, 'report.json');
  const md = join(runDir, 'report.md');
  writeFileSync(json, JSON.stringify(safe, null, 2) + '\n');
  const markdown = renderTemplate('report.md.hbs', {
    ...safe,
    error: safe.error ?? null,
    next_steps: safe.next_steps ?? null,
    lag: safe.lag ?? null,
    taskRows: safe.tasks.map((t) => ({ ...t, status: t.status === 'failed-continued' ? 'failed, continued' : t.status, duration: t.duration_ms === undefined ? '' : `${(t.duration_ms / 1000).toFixed(2)} s`, note: t.error ?? t.summary ?? '' })),
    factsJson: JSON.stringify(safe.facts, null, 2),
    extraJson: safe.cutover ? JSON.stringify(safe.cutover, null, 2) : null,
  });
  writeFileSync(md, markdown);
  // GitHub Actions shows this file on the job's summary page.
  if (process.env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown + '\n');
    } catch {
      // A summary that cannot be written must not fail a migration.
    }
  }
  return { json, md };
}
