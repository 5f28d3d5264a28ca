// ResolvedPlan (src/plan/plan.ts) promises that validation fills in every
// setting with a schema default. Each of those promises is checked here on the
// smallest plan, so the type cannot claim a default the schema lacks.
import { describe, it, expect } from 'vitest';
import { SECTIONS_WITH_DEFAULTS, type ResolvedPlan } from '../../src/plan/plan.js';
import { validatePlanText } from '../../src/plan/load.js';
import { planSchema } from '../../src/plan/schema.js';
import { MINIMAL_PLAN, planFromText } from './support.js';

const withHook = `${MINIMAL_PLAN}hooks:\n  - after: dump\n    run: ./dumped.sh\n`;
const plan: ResolvedPlan = planFromText(withHook, {});

describe('defaults filled by validation', () => {
  it('every section ResolvedPlan treats as present is present', () => {
    for (const s of SECTIONS_WITH_DEFAULTS) expect(plan[s], s).toBeDefined();
    expect(plan.cutover.sequences).toBeDefined();
  });

  it.each([
    ['source.lock_timeout_seconds', plan.source.lock_timeout_seconds, 300],
    ['nodes[0].kind', plan.nodes[0].kind, 'postgres'],
    ['nodes[0].replication_set', plan.nodes[0].replication_set, 'default'],
    ['publish', plan.publish, {}],
    ['tools', plan.tools, {}],
    ['dump.jobs', plan.dump.jobs, 4],
    ['copy.method', plan.copy.method, 'stream'],
    ['copy.jobs', plan.copy.jobs, 4],
    ['copy.split_above_mb', plan.copy.split_above_mb, 1024],
    ['copy.binary', plan.copy.binary, true],
    ['restore.jobs', plan.restore.jobs, 4],
    ['restore.no_owner', plan.restore.no_owner, false],
    ['restore.no_privileges', plan.restore.no_privileges, false],
    ['catch_up.max_lag_bytes', plan.catch_up.max_lag_bytes, 0],
    ['catch_up.timeout_seconds', plan.catch_up.timeout_seconds, 3600],
    ['cutover.max_lag_bytes', plan.cutover.max_lag_bytes, 16777216],
    ['cutover.freeze', plan.cutover.freeze, 'builtin'],
    ['cutover.timeout_seconds', plan.cutover.timeout_seconds, 60],
    ['cutover.check', plan.cutover.check, 'counts'],
    ['cutover.vacuum', plan.cutover.vacuum, true],
    ['cutover.sequences.gap', plan.cutover.sequences.gap, 1000],
    ['cutover.sequences.allow_copy_on_multi_master', plan.cutover.sequences.allow_copy_on_multi_master, false],
    ['hooks[0].on', plan.hooks[0].on, 'source'],
    ['hooks[0].timeout_seconds', plan.hooks[0].timeout_seconds, 600],
    ['hooks[0].continue_on_error', plan.hooks[0].continue_on_error, false],
    ['compare.max_slowdown', plan.compare.max_slowdown, 1.2],
    ['compare.min_difference_ms', plan.compare.min_difference_ms, 1],
    ['compare.duration_seconds', plan.compare.duration_seconds, 30],
    ['compare.warmup_seconds', plan.compare.warmup_seconds, 3],
    ['compare.concurrency', plan.compare.concurrency, 2],
    ['compare.statement_timeout_seconds', plan.compare.statement_timeout_seconds, 10],
    ['ddl.guard', plan.ddl.guard, 'off'],
  ])('%s', (_path, value, expected) => {
    expect(value).toEqual(expected);
  });

  it('hooks is an empty list when the plan has none', () => {
    expect(planFromText(MINIMAL_PLAN, {}).hooks).toEqual([]);
  });

  it('cutover actions get theirs too', () => {
    const p = planFromText(`${MINIMAL_PLAN}cutover:\n  switch_hook:\n    sql: SELECT 1\n`, {});
    expect(p.cutover.switch_hook).toEqual({ sql: 'SELECT 1', on: 'source', timeout_seconds: 600 });
  });

  it('a value given is kept over the default', () => {
    const p = planFromText(`${MINIMAL_PLAN}dump:\n  jobs: 16\ncutover:\n  freeze: hook\n  freeze_hook:\n    run: ./pause.sh\n  unfreeze_hook:\n    run: ./resume.sh\n`, {});
    expect(p.dump.jobs).toBe(16);
    expect(p.cutover.freeze).toBe('hook');
  });

  it('cutover.fallback and rollback get theirs when given (read through src/plan/fallback.ts otherwise)', async () => {
    const { fallbackOf, rollbackTimeoutSeconds } = await import('../../src/plan/fallback.js');
    const p = planFromText(`${MINIMAL_PLAN}cutover:\n  fallback: {}\nrollback: {}\n`, {});
    expect(p.cutover.fallback).toEqual({ enabled: false, warn_after_hours: 24 });
    expect(p.rollback).toEqual({ timeout_seconds: 60 });
    expect(fallbackOf(p)).toBeUndefined();
    expect(fallbackOf(planFromText(MINIMAL_PLAN, {}))).toBeUndefined();
    expect(rollbackTimeoutSeconds(planFromText(MINIMAL_PLAN, {}))).toBe(60);
    const on = fallbackOf(planFromText(`${MINIMAL_PLAN}cutover:\n  fallback:\n    enabled: true\n`, {}))!;
    expect(on.node).toBe(planFromText(MINIMAL_PLAN, {}).nodes[0].name);
    expect(on.warnAfterHours).toBe(24);
  });

  it('every default the schema declares is one of those checked above', () => {
    // Walk the schema for "default" keywords; each must be listed here, so a new one gets a test.
    const found: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'default') found.push(path);
        else walk(v, path ? `${path}.${k}` : k);
      }
    };
    walk(planSchema(), '');
    expect(found.sort()).toEqual(
      [
        'definitions.action.properties.on',
        'definitions.action.properties.timeout_seconds',
        'definitions.cutover.properties.check',
        'definitions.cutover.properties.fallback.properties.enabled',
        'definitions.cutover.properties.fallback.properties.warn_after_hours',
        'definitions.rollback.properties.timeout_seconds',
        'definitions.cutover.properties.freeze',
        'definitions.cutover.properties.max_lag_bytes',
        'definitions.cutover.properties.sequences.properties.allow_copy_on_multi_master',
        'definitions.cutover.properties.sequences.properties.gap',
        'definitions.cutover.properties.timeout_seconds',
        'definitions.cutover.properties.vacuum',
        'definitions.hook.properties.continue_on_error',
        'definitions.hook.properties.on',
        'definitions.hook.properties.timeout_seconds',
        'definitions.node.properties.kind',
        'definitions.node.properties.replication_set',
        'properties.catch_up.properties.max_lag_bytes',
        'properties.catch_up.properties.timeout_seconds',
        'properties.compare.properties.concurrency',
        'properties.compare.properties.duration_seconds',
        'properties.compare.properties.max_slowdown',
        'properties.compare.properties.min_difference_ms',
        'properties.compare.properties.statement_timeout_seconds',
        'properties.compare.properties.warmup_seconds',
        'properties.copy.properties.binary',
        'properties.copy.properties.jobs',
        'properties.ddl.properties.guard',
        'properties.copy.properties.method',
        'properties.copy.properties.split_above_mb',
        'properties.dump.properties.jobs',
        'properties.restore.properties.jobs',
        'properties.restore.properties.no_owner',
        'properties.restore.properties.no_privileges',
        'properties.source.properties.lock_timeout_seconds',
      ].sort(),
    );
  });

  it('validation does not change the text it was given between calls (defaults go into a fresh object)', () => {
    const a = validatePlanText(MINIMAL_PLAN, 'p.yaml', {}).plan!;
    a.dump.jobs = 99;
    expect(validatePlanText(MINIMAL_PLAN, 'p.yaml', {}).plan!.dump.jobs).toBe(4);
  });
});
