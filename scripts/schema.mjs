#!/usr/bin/env node
// Writes schema/dom0.schema.json from the zod schema (src/manifest/json-schema.ts, built into dist/).
// Run through `npm run schema`, which builds first; test/unit/json-schema.test.ts fails when the
// committed file differs from what this writes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'schema', 'dom0.schema.json');
const { manifestJsonSchemaText } = await import(join(root, 'dist', 'manifest', 'json-schema.js'));
const text = manifestJsonSchemaText();
let before;
try {
  before = readFileSync(out, 'utf8');
} catch {
  before = undefined;
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
console.log(`${out}: ${before === text ? 'unchanged' : 'written'}`);
