// What a person and a scraper see of the source: the `dom0 status` line, the /metrics series, and
// the usage errors of the --source flags.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource, type SourceFlags } from '../../../../src/cli/source.js';
import type { Log } from '../../../../src/log.js';
import { Journal } from '../../../../src/up/journal.js';
import { renderMetrics } from '../../../../src/up/metrics.js';
import { sourceLine } from '../../../../src/up/source/describe.js';
import type { SourceStatus } from '../../../../src/up/source/store.js';

const V = 'ab'.repeat(32);
const base: SourceStatus = { source: 'https://***@farm/dom0.yaml', integrity: 'ed25519', manifestFile: '/var/lib/dom0/source/current/dom0.yaml', state: 'ok', failures: 0 };

describe('the source in dom0 status and /metrics', () => {
  it.each<[string, SourceStatus, RegExp]>([
    ['ok', { ...base, version: V, lastSuccessAt: '2026-01-01T00:00:00Z' }, /^source https:\/\/\*\*\*@farm\/dom0\.yaml: ok, version abababababab \(verified: ed25519\), checked 2026-01-01T00:00:00Z$/],
    ['unverified', { ...base, integrity: 'none', version: V }, /\(not verified\)/],
    ['signed', { ...base, version: V, signedAt: '2026-05-01T10:00:00.000Z', lastSuccessAt: 'T0' }, /: ok, version abababababab \(verified: ed25519\), signed at 2026-05-01T10:00:00\.000Z, checked T0$/],
    ['failing', { ...base, state: 'error', version: V, failures: 3, lastError: 'HTTP 502\nmore', lastErrorAt: 'T1', lastSuccessAt: 'T0' }, /FAILING \(3 checks in a row, last at T1: HTTP 502\); running the last good version abababababab \(last ok T0\)$/],
    ['failing, never fetched', { ...base, state: 'error', failures: 1, lastError: 'ECONNREFUSED', lastErrorAt: 'T1' }, /FAILING \(1 check in a row.*running the last good version none$/],
    ['pending', { ...base, state: 'pending' }, /: pending, version none/],
  ])('%s', (_what, s, want) => expect(sourceLine(s)).toMatch(want));

  it.each<[string, SourceStatus | undefined, Record<string, number>]>([
    ['up', { ...base, version: V, lastSuccessAt: '2026-01-01T00:00:00Z' }, { dom0_source_up: 1, dom0_source_last_success_timestamp_seconds: 1767225600, dom0_source_consecutive_failures: 0, 'dom0_source_version_info{version="abababababab"}': 1 }],
    ['down', { ...base, state: 'error', failures: 4 }, { dom0_source_up: 0, dom0_source_last_success_timestamp_seconds: 0, dom0_source_consecutive_failures: 4 }],
  ])('metrics: %s', (_what, s, want) => {
    const text = renderMetrics(new Journal(), [], 'f', s);
    for (const [k, v] of Object.entries(want)) expect(text).toContain(`\n${k} ${v}\n`);
  });

  it('no source, no source series', () => expect(renderMetrics(new Journal(), [], 'f')).not.toContain('dom0_source'));
});

describe('--source flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dom0-source-flags-'));
  const pub = join(dir, 'k.pub');
  writeFileSync(pub, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, 'rsa.pub'), generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }));
  const log = {} as Log;
  const flags = (o: Partial<SourceFlags>): SourceFlags => ({ sourceInterval: 30_000, sourceTimeout: 10_000, ...o });

  it.each<[string, Partial<SourceFlags>, string[] | undefined, RegExp]>([
    ['a pubkey without --source', { sourcePubkey: pub }, undefined, /--source-pubkey needs --source/],
    ['a pin without --source', { sourceSha256: 'a'.repeat(64) }, undefined, /--source-sha256 needs --source/],
    ['-f and --source', { source: 'http://h/' }, ['/x/dom0.yaml'], /exclude each other/],
    ['a bad pin', { source: 'http://h/', sourceSha256: 'xyz' }, undefined, /64 hex digits/],
    ['a missing key file', { source: 'http://h/', sourcePubkey: join(dir, 'nope') }, undefined, /cannot read .*ENOENT/],
    ['an RSA key', { source: 'http://h/', sourcePubkey: join(dir, 'rsa.pub') }, undefined, /not an ed25519 key/],
  ])('%s: a usage error', (_what, o, files, why) => {
    expect(() => openSource(flags(o), files, undefined, log, dir)).toThrow(why);
  });

  it('no --source: no syncer; --source: one, its manifest in the state dir', () => {
    expect(openSource(flags({}), undefined, undefined, log, dir)).toBeUndefined();
    const s = openSource(flags({ source: 'http://h/farm/', sourcePubkey: pub }), [], undefined, log, dir);
    expect(s?.manifestFile).toBe(join(dir, 'source', 'current', 'dom0.yaml'));
    expect(s?.status()).toMatchObject({ integrity: 'ed25519', state: 'pending' });
  });
});
