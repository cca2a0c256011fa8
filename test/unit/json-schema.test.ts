// schema/dom0.schema.json: committed as `npm run schema` writes it, and it accepts what the loader accepts.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { manifestJsonSchema, manifestJsonSchemaText } from '../../src/manifest/json-schema.js';
import { loadManifestText } from '../../src/manifest/load.js';
import { containerShape, topSchema, UNSUPPORTED_COMPOSE_KEYS, volumeContainerShape } from '../../src/manifest/schema.js';
import { checkYamlBlocks, docFiles } from '../support/doc-examples.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const COMMITTED = path.join(ROOT, 'schema', 'dom0.schema.json');
const schema = manifestJsonSchema();
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

function check(text: string): string[] {
  const ok = validate(YAML.parse(text, { merge: true }) ?? {});
  return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

const loads = (text: string, file: string) => loadManifestText(text, file, { env: { HOME: '/home/x' }, readFile: () => 'A=b\n' }).ok;

describe('schema/dom0.schema.json', () => {
  it('is what `npm run schema` writes now (run it after changing src/manifest/schema.ts)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(manifestJsonSchemaText());
  });

  it('has every key the loader accepts: top level, service/job, volume container', () => {
    const top = Object.keys((topSchema as unknown as { _zod: { def: { out: { shape: object } } } })._zod.def.out.shape);
    expect(top).toContain('services');
    expect(Object.keys(schema.properties as object).sort()).toEqual([...top].sort());
    const defs = schema.$defs as Record<string, { properties: object }>;
    expect(Object.keys(defs.container!.properties).sort()).toEqual(Object.keys(containerShape).sort());
    expect(Object.keys(defs.volume_container!.properties).sort()).toEqual(Object.keys(volumeContainerShape).sort());
  });

  it('offers no Compose key the loader rejects', () => {
    const defs = schema.$defs as Record<string, { properties: object }>;
    const offered = new Set([...Object.keys(schema.properties as object), ...Object.keys(defs.container!.properties)]);
    const rejected = UNSUPPORTED_COMPOSE_KEYS.filter((k) => !(k in containerShape) && !['volumes', 'networks'].includes(k));
    expect(rejected.length).toBeGreaterThan(0); // not vacuous (the list shrinks as keys become supported)
    for (const k of rejected) expect(offered.has(k), k).toBe(false);
  });
});

describe('the example manifests validate against the schema', () => {
  const files = [
    'dom0.yaml',
    ...readdirSync(path.join(ROOT, 'test/fixtures/valid')).filter((f) => f.endsWith('.yaml')).map((f) => `test/fixtures/valid/${f}`),
    ...readdirSync(path.join(ROOT, 'test/integration/fixtures')).filter((f) => f.endsWith('.yaml')).map((f) => `test/integration/fixtures/${f}`),
  ];
  it.each(files)('%s (if the loader accepts it)', (f) => {
    const text = readFileSync(path.join(ROOT, f), 'utf8');
    const ok = loads(text, path.join(ROOT, f));
    if (!f.startsWith('test/integration/')) expect(ok).toBe(true); // the others may need files or variables
    if (ok) expect(check(text)).toEqual([]);
  });

  it('every valid ```yaml block of README.md and docs/*.md', () => {
    const blocks = checkYamlBlocks(docFiles(ROOT)).filter((b) => b.result.ok);
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) expect(check(b.text), b.label).toEqual([]);
  });

  it.each([
    ['an unknown service key', 'services:\n  web: {image: a, imagee: b}\n'],
    ['a rejected Compose key', 'services:\n  web: {image: a, scale: 2}\n'],
    ['an unknown top-level key', 'servics: {}\n'],
    ['a service without image', 'services:\n  web: {command: ls}\n'],
  ])('rejects %s, as the loader does', (_n, text) => {
    expect(loads(text, '/tmp/x/dom0.yaml')).toBe(false);
    expect(check(text)).not.toEqual([]);
  });

  it.each([
    ['x-* keys and null values', 'x-base: &b {image: busybox}\nservices:\n  web:\n    <<: *b\n    x-note: hi\n    command:\nvolumes:\n  data:\n'],
  ])('accepts %s, as the loader does', (_n, text) => {
    expect(loads(text, '/tmp/x/dom0.yaml')).toBe(true);
    expect(check(text)).toEqual([]);
  });
});
