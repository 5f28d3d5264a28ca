// Generates src/plan/plan.types.ts from schemas/plan.schema.json, so the plan's
// shape is written once. test/unit/schema-types.test.ts fails when they drift.
import { compileFromFile } from 'json-schema-to-typescript';
import { writeFileSync } from 'node:fs';

const out = new URL('../src/plan/plan.types.ts', import.meta.url);
const ts = await compileFromFile(new URL('../schemas/plan.schema.json', import.meta.url).pathname, {
  bannerComment: '/* Generated from schemas/plan.schema.json by `npm run gen:types`. Do not edit. */',
  additionalProperties: false,
  strictIndexSignatures: true,
  style: { singleQuote: true },
});
writeFileSync(out, ts);
