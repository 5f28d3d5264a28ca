// The schemas are the single source of the plan's and the report's shapes;
// the TypeScript types are generated from them by `npm run gen:types`
// (scripts/gen-types.mjs). This test generates again and fails when they differ.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain ES module script without type declarations
import { GENERATED, generate } from '../../scripts/gen-types.mjs';
import { ROOT } from './support.js';

describe('generated types', () => {
  for (const entry of GENERATED as { schema: string; types: string }[]) {
    it(`${entry.types} is what the generator makes of ${entry.schema}: run \`npm run gen:types\` after changing it`, async () => {
      expect(readFileSync(join(ROOT, entry.types), 'utf8')).toBe(await generate(entry));
    }, 30_000);
  }

  it('the plan schema is valid JSON with the modeline\'s path', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'plan.schema.json'), 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['version', 'name', 'source', 'nodes', 'replication']);
  });
});
