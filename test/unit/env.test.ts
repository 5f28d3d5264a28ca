import { describe, it, expect } from 'vitest';
import { interpolate } from '../../src/plan/env.js';
import { validatePlanText } from '../../src/plan/load.js';
import { sqlAsWritten } from '../../src/plan/plan.js';
import { MINIMAL_PLAN } from './support.js';

describe('interpolate', () => {
  const env = { HOST: 'db.example.com', PORT: '5433', EMPTY: '' };

  it('replaces ${VAR} with its value', () => {
    expect(interpolate('host=${HOST} port=${PORT}', env)).toEqual({ value: 'host=db.example.com port=5433', errors: [], names: ['HOST', 'PORT'] });
  });

  it('uses the default of ${VAR:-default} only when VAR is unset or empty', () => {
    expect(interpolate('${HOST:-localhost}', env).value).toBe('db.example.com');
    expect(interpolate('${NOPE:-localhost}', env).value).toBe('localhost');
    expect(interpolate('${EMPTY:-localhost}', env).value).toBe('localhost');
    expect(interpolate('${NOPE:-}', env).value).toBe('');
    expect(interpolate('${NOPE:-a b:c}', env).value).toBe('a b:c');
  });

  it('reads $$ as a literal $', () => {
    expect(interpolate('pa$$word $${HOST}', env)).toEqual({ value: 'pa$word ${HOST}', errors: [], names: [] });
    expect(interpolate('cost: $5', env).value).toBe('cost: $5');
  });

  it('takes a value as it is: a $ or ${...} inside it is not read again', () => {
    expect(interpolate('${A}', { A: 'pa$$w${B}rd', B: 'x' }).value).toBe('pa$$w${B}rd');
  });

  it('reports a missing variable with its offset in the string', () => {
    const r = interpolate('host=${HOST} user=${DB_USER}', env);
    expect(r.errors).toEqual([{ index: 18, reference: '${DB_USER}', message: 'environment variable DB_USER is not set (write ${DB_USER:-default} for a default)' }]);
  });

  it('reports an empty variable without a default as empty', () => {
    expect(interpolate('x${EMPTY}', env).errors).toEqual([{ index: 1, reference: '${EMPTY}', message: 'environment variable EMPTY is empty (write ${EMPTY:-default} for a default)' }]);
  });

  it('reports malformed references', () => {
    expect(interpolate('a ${', env).errors).toEqual([{ index: 2, reference: '${', message: 'unterminated ${ reference (write $$ for a literal $)' }]);
    expect(interpolate('${HOST-x}', env).errors[0].message).toBe('"${HOST-x}" is not a variable reference: use ${NAME} or ${NAME:-default}');
    expect(interpolate('${}', env).errors[0].message).toContain('is not a variable reference');
    expect(interpolate('${1X}', env).errors[0].message).toContain('is not a variable reference');
  });

  it('reports every error in a string, not only the first', () => {
    expect(interpolate('${A} ${B} ${HOST} ${C', env).errors.map((e) => e.index)).toEqual([0, 5, 18]);
  });
});

describe('environment references in a plan', () => {
  const load = (extra: string, env: Record<string, string | undefined>) => validatePlanText(MINIMAL_PLAN + extra, 'plan.yaml', env);

  it('a number from ${JOBS:-8} in a plain scalar is a number', () => {
    expect(load('dump:\n  jobs: ${JOBS:-8}\n', {}).plan!.dump.jobs).toBe(8);
    expect(load('dump:\n  jobs: ${JOBS:-8}\n', { JOBS: '12' }).plan!.dump.jobs).toBe(12);
    expect(load('restore:\n  no_owner: ${NO_OWNER:-true}\n', {}).plan!.restore.no_owner).toBe(true);
  });

  it('a quoted scalar stays a string, so a number there is a type error', () => {
    const { problems } = load('dump:\n  jobs: "${JOBS:-8}"\n', {});
    expect(problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual(['14:9: dump.jobs: must be an integer']);
  });

  it('a value that only looks like a number inside a string stays a string', () => {
    const { plan } = load('hooks:\n  - after: dump\n    name: notify ${N:-3}\n    run: ./notify.sh\n', {});
    expect(plan!.hooks[0].name).toBe('notify 3');
  });

  it("a hook's run keeps its ${VAR} references for the shell ($$ is still a literal $); a missing variable is still an error", () => {
    const { plan } = load('hooks:\n  - after: dump\n    run: ./notify.sh "${SECRET}" $$HOME\n', { SECRET: 'hunter22' });
    expect(plan!.hooks[0].run).toBe('./notify.sh "${SECRET}" $HOME');
    const { problems } = load('hooks:\n  - after: dump\n    run: ./notify.sh "${SECRET}"\n', {});
    expect(problems.map((p) => p.message)).toEqual(['environment variable SECRET is not set (write ${SECRET:-default} for a default)']);
  });

  it("a hook's sql runs expanded and is shown as written", () => {
    const { plan } = load("hooks:\n  - after: dump\n    sql: SELECT '${TOKEN}'\n", { TOKEN: 'hunter22' });
    expect(plan!.hooks[0].sql).toBe("SELECT 'hunter22'");
    expect(sqlAsWritten(plan!.hooks[0])).toBe("SELECT '${TOKEN}'");
  });

  it('values are substituted in every string, not only in DSNs', () => {
    const { plan } = load('dump:\n  directory: ${BACKUP:-/var/backups}/${NAME:-app}\n', { NAME: 'shop' });
    expect(plan!.dump.directory).toBe('/var/backups/shop');
  });

  it('keys are not interpolated', () => {
    const { problems } = load('${KEY}: 1\n', { KEY: 'dump' });
    expect(problems.map((p) => p.message.split(' (')[0])).toEqual(['the plan: unknown property "${KEY}"']);
  });

  it('a missing variable is reported at its own line and column, in any scalar style', () => {
    const text = [
      'version: 1', // 1
      'name: t', // 2
      'source:', // 3
      '  dsn: host=src user=${U1}', // 4: plain, col 22
      'nodes:', // 5
      '  - name: n1', // 6
      '    dsn: "host=n1\\tuser=${U2}"', // 7: double-quoted with an escape before it, col 25
      'replication:', // 8
      '  - node: n1', // 9
      "    publication: 'it''s ${U3}'", // 10: single-quoted with a doubled quote, col 25
      '    slot: s1', // 11
      '    subscription: sub1', // 12
      'hooks:', // 13
      '  - after: dump', // 14
      '    sql: >', // 15
      '      SELECT 1', // 16
      '      FROM ${U4}', // 17: folded block, col 12
    ].join('\n');
    const { problems } = validatePlanText(text, 'plan.yaml', {});
    expect(problems.map((p) => `${p.line}:${p.col}: ${p.message.split(' (')[0]}`)).toEqual([
      '4:22: environment variable U1 is not set',
      '7:25: environment variable U2 is not set',
      '10:25: environment variable U3 is not set',
      '17:12: environment variable U4 is not set',
    ]);
  });

  it('a value whose reference failed draws no second complaint', () => {
    // Left as written, "${JOBS}" would also be "must be an integer".
    const { problems } = load('dump:\n  jobs: ${JOBS}\n', {});
    expect(problems.map((p) => p.message)).toEqual(['environment variable JOBS is not set (write ${JOBS:-default} for a default)']);
  });
});
