// The corpus of invalid plans: each file's leading `# expect: LINE:COL: text`
// lines are every problem validation must report for it, in order, at exactly
// that position, with a message containing the text.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validatePlanText } from '../../src/plan/load.js';
import { formatProblem } from '../../src/plan/problem.js';
import { FIXTURES, TEST_ENV } from './support.js';

const dir = join(FIXTURES, 'invalid');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

interface Expected {
  line: number;
  col: number;
  text: string;
}

function expectations(text: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split('\n')) {
    const m = /^# expect: (\d+):(\d+): (.+)$/.exec(line);
    if (!m) break;
    out.push({ line: Number(m[1]), col: Number(m[2]), text: m[3] });
  }
  return out;
}

describe('invalid plans', () => {
  it('the corpus has at least 24 plans, each stating what it expects on its first line', () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).toMatch(/^# expect: \d+:\d+: /);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const expected = expectations(text);
    const { plan, problems } = validatePlanText(text, file, TEST_ENV);
    expect(plan, 'an invalid plan yields no plan').toBeUndefined();
    const got = problems.map((p) => ({ line: p.line, col: p.col, text: formatProblem(p).slice(`${file}:${p.line}:${p.col}: `.length) }));
    // Every problem at once, and nothing else: no noise after the real one.
    expect(got.map((g) => `${g.line}:${g.col}`)).toEqual(expected.map((e) => `${e.line}:${e.col}`));
    got.forEach((g, i) => expect(g.text).toContain(expected[i].text));
  });
});
