// What the unit tests share: one fixed environment whose DSNs carry
// passwords (so every test of printed output can look for them), and plan
// loading from files without touching process.env.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { validatePlanText } from '../../src/plan/load.js';
import type { ResolvedPlan } from '../../src/plan/plan.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'plans');
export const EXAMPLE_PLAN = join(ROOT, 'plans', 'aurora-to-pgedge.yaml');
/** Two plain PostgreSQL nodes: the graph and rendering tests' simple shape (the example plan was this before it became three pgEdge nodes). */
export const TWO_NODE_PLAN = join(FIXTURES, 'valid', 'two-postgres-nodes.yaml');

/** Passwords in the test DSNs; none may appear in anything printed. */
export const PASSWORDS = ['src-Secret-1', 'n1 Secret-2', 'n2-Secret-3', 'n3-Secret-4'];

export const TEST_ENV: Record<string, string> = {
  SOURCE_DSN: 'postgresql://migrator:src-Secret-1@source.example.com:5432/app?sslmode=require',
  N1_DSN: "host=n1.example.com port=5432 dbname=app user=pgedge password='n1 Secret-2'",
  N2_DSN: 'postgres://pgedge:n2-Secret-3@n2.example.com/app',
  N3_DSN: 'host=n3.example.com dbname=app user=pgedge password=n3-Secret-4',
  EMPTY: '',
};

/** Validates plan text that must be valid; fails with its problems otherwise. */
export function planFromText(text: string, env: Record<string, string | undefined> = TEST_ENV): ResolvedPlan {
  const { plan, problems } = validatePlanText(text, 'plan.yaml', env);
  if (!plan) throw new Error(`plan is invalid:\n${problems.map((p) => `${p.line}:${p.col}: ${p.message}`).join('\n')}`);
  return plan;
}

export function planFromFile(file: string, env: Record<string, string | undefined> = TEST_ENV): ResolvedPlan {
  return planFromText(readFileSync(file, 'utf8'), env);
}

export const MINIMAL_PLAN = `version: 1
name: minimal
source:
  dsn: host=source.example.com dbname=app
nodes:
  - name: n1
    dsn: host=n1.example.com dbname=app
replication:
  - node: n1
    publication: pub_1
    slot: slot_1
    subscription: sub_1
`;
