// The schema is the format's single source; src/plan/plan.types.ts is
// generated from it by `npm run gen:types` (scripts/gen-types.mjs). This test
// generates again, with the script's options, and fails when the two differ.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFromFile } from 'json-schema-to-typescript';
import { ROOT } from './support.js';

// Keep in step with scripts/gen-types.mjs (checked below).
const OPTIONS = {
  bannerComment: '/* Generated from schemas/plan.schema.json by `npm run gen:types`. Do not edit. */',
  additionalProperties: false,
  strictIndexSignatures: true,
  style: { singleQuote: true },
} as const;

describe('plan.types.ts', () => {
  it('is what the generator makes of schemas/plan.schema.json: run `npm run gen:types` after changing the schema', async () => {
    const generated = await compileFromFile(join(ROOT, 'schemas', 'plan.schema.json'), OPTIONS);
    expect(readFileSync(join(ROOT, 'src', 'plan', 'plan.types.ts'), 'utf8')).toBe(generated);
  }, 30_000);

  it('the options above are the generator script\'s', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'gen-types.mjs'), 'utf8');
    expect(script).toContain(`bannerComment: '${OPTIONS.bannerComment}'`);
    expect(script).toContain('additionalProperties: false');
    expect(script).toContain('strictIndexSignatures: true');
    expect(script).toContain('style: { singleQuote: true }');
  });

  it('the schema is valid JSON with the modeline\'s path', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'plan.schema.json'), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['version', 'name', 'source', 'nodes', 'replication']);
  });
});
