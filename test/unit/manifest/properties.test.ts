import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatDiagnostic, loadManifestText } from '../../../src/manifest/load.js';
import type { LoadResult } from '../../../src/manifest/types.js';

const noFiles = { env: { HOME: '/home/t', SET: 'value' }, readFile: () => undefined };

function checkResult(r: LoadResult): void {
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) {
    expect(r.manifest).toBeTypeOf('object');
    return;
  }
  expect(r.diagnostics.length).toBeGreaterThan(0);
  for (const d of r.diagnostics) {
    expect(d.message).not.toContain('internal error'); // the last-resort catch must never fire
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(formatDiagnostic(d)).toMatch(/^[^:]+:\d+:\d+: /);
  }
}

const load = (text: string | Buffer): LoadResult => loadManifestText(text, 'prop.yaml', noFiles);

// Manifest-shaped values: real keys with arbitrary values, so generation reaches the deep checks.
const keys = fc.constantFrom(
  'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'volumes_from', 'links', 'depends_on',
  'restart', 'healthcheck', 'labels', 'networks', 'network_mode', 'extra_hosts', 'tmpfs', 'ulimits', 'pull_policy', 'container_name',
  'mem_limit', 'cpus', 'stop_grace_period', 'logging', 'build', 'x-ext', 'test', 'interval', 'condition', 'target', 'published',
);
const scalar = fc.oneof(
  fc.string(),
  fc.constantFrom('8080:80', '${SET}', '${UNSET:?boom}', '$$', '1m30s', '512m', 'service_healthy', 'on-failure:3', 'a', 'db', 'web', './x:/x:ro', 'service:db'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(keys, fc.string()), tie('node'), { maxKeys: 5 }),
})).node;
const entryMap = fc.dictionary(fc.constantFrom('web', 'db', 'a', 'job1', 'x-y'), fc.dictionary(keys, value, { maxKeys: 6 }), { maxKeys: 3 });
const manifestLike = fc.record(
  {
    version: value,
    name: value,
    services: entryMap,
    jobs: entryMap,
    volume_containers: entryMap,
    volumes: value,
    networks: value,
    registries: value,
  },
  { requiredKeys: [] },
);

describe('loadManifestText never throws', { timeout: 60_000 }, () => {
  it('for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => checkResult(load(s))), { numRuns: 500 });
  });

  it('for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => checkResult(load(Buffer.from(b)))), { numRuns: 300 });
  });

  it('for YAML-looking text', () => {
    const token = fc.constantFrom('services:', '\n', '  ', '- ', ': ', '{', '}', '[', ']', ',', '&a ', '*a', '<<: ', '"', "'", '#', '\t', '? ', '---\n', '${X}', 'image', 'web');
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }), (parts) => checkResult(load(parts.join('')))), { numRuns: 500 });
  });

  it('for arbitrary YAML-serialized JS values', () => {
    fc.assert(fc.property(fc.anything(), (v) => checkResult(load(stringify(v) ?? ''))), { numRuns: 300 });
  });

  it('for YAML-serialized manifest-shaped values', () => {
    fc.assert(fc.property(manifestLike, (v) => checkResult(load(stringify(v)))), { numRuns: 500 });
  });

  it('returns deep-equal results for the same input', () => {
    fc.assert(
      fc.property(manifestLike, (v) => {
        const text = stringify(v);
        expect(load(text)).toEqual(load(text));
      }),
      { numRuns: 100 },
    );
  });
});
