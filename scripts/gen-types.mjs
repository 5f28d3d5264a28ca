// Generates the TypeScript types from the JSON Schemas, so that each shape is
// written once: src/plan/plan.types.ts from schemas/plan.schema.json and
// src/report/report.types.ts from schemas/report.schema.json.
// test/unit/schema-types.test.ts generates again and fails when they drift.
import { compileFromFile } from 'json-schema-to-typescript';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url);

export const GENERATED = [
  { schema: 'schemas/plan.schema.json', types: 'src/plan/plan.types.ts' },
  { schema: 'schemas/report.schema.json', types: 'src/report/report.types.ts' },
  { schema: 'schemas/compare-queries.schema.json', types: 'src/compare/queries.types.ts' },
  { schema: 'schemas/compare-report.schema.json', types: 'src/compare/report.types.ts' },
];

export function generate({ schema }) {
  return compileFromFile(fileURLToPath(new URL(schema, root)), {
    bannerComment: `/* Generated from ${schema} by \`npm run gen:types\`. Do not edit. */`,
    additionalProperties: false,
    strictIndexSignatures: true,
    style: { singleQuote: true },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const entry of GENERATED) writeFileSync(new URL(entry.types, root), await generate(entry));
}
