import { describe, expect, it } from 'vitest';
import { canonicalize, configHash, envValueDigest, hashedSpec } from '../../../src/reconcile/hash.js';
import { IMAGE_ID, svc, vol } from './build.js';

describe('config hash', () => {
  it('is the same for the same input, run after run', () => {
    expect(configHash(svc('web'), IMAGE_ID)).toBe(configHash(svc('web'), IMAGE_ID));
  });

  it('is pinned: a dom0 release must not change the hash of an unchanged entry', () => {
    // If this fails, every existing fleet would be recreated on upgrade. Bump HASH_SCHEME with a migration instead.
    // Changed once, deliberately (issue 9): environment values are hashed as digests so the
    // io.dom0.spec label holds no secrets; every container with `environment` recreates once.
    expect(configHash(svc('web', { command: ['httpd', '-f'], environment: { A: '1' } }), IMAGE_ID)).toBe(
      '42ecd002549bab1cf91840b07a52ef44bc2c614d6f3b0ca86dcf9027633f266e',
    );
    // An entry without environment keeps its pre-issue-9 hash.
    expect(configHash(svc('web', { command: ['httpd', '-f'] }), IMAGE_ID)).toBe('c86a885e996ae59f660cc528ca0d93baca4740fb85a6becc9a2840e58585d624');
    expect(configHash(vol('home', ['/home']), IMAGE_ID)).toBe('bc2043e637a3a88fafc78e094038ea0382bcb4b464cf3dcde2c2627c2900278b');
  });

  it.each([
    ['field order', svc('web', { environment: { A: '1', B: '2' } }), svc('web', { environment: { B: '2', A: '1' } })],
    ['defaults written or not', svc('web', { init: false, capAdd: [] }), { ...svc('web'), init: undefined as unknown as boolean }],
    ['depends_on', svc('web', { dependsOn: [{ name: 'db', condition: 'service_started', restart: false, required: true }] }), svc('web')],
    ['pull_policy', svc('web', { pullPolicy: 'always' }), svc('web')],
    ['source position', svc('web', { position: { line: 3, col: 3 } }), svc('web', { position: { line: 9, col: 3 } })],
    ['x- extension keys', { ...svc('web'), 'x-note': 'hi' } as never, svc('web')],
    ['the container name', svc('web', { containerName: 'web-1' }), svc('web')],
  ])('ignores %s', (_what, a, b) => {
    expect(configHash(a, IMAGE_ID)).toBe(configHash(b, IMAGE_ID));
  });

  it.each([
    ['an env value', svc('web', { environment: { A: '1' } }), svc('web', { environment: { A: '2' } })],
    ['the command', svc('web', { command: ['a'] }), svc('web', { command: ['b'] })],
    ['port order', svc('web', { ports: [{ containerPort: 1, protocol: 'tcp' }, { containerPort: 2, protocol: 'tcp' }] }), svc('web', { ports: [{ containerPort: 2, protocol: 'tcp' }, { containerPort: 1, protocol: 'tcp' }] })],
    ['the restart policy', svc('web', { restart: { name: 'always' } }), svc('web')],
  ])('changes with %s', (_what, a, b) => {
    expect(configHash(a, IMAGE_ID)).not.toBe(configHash(b, IMAGE_ID));
  });

  it('changes when the image ID changes, not when only the tag text does', () => {
    expect(configHash(svc('web'), IMAGE_ID)).not.toBe(configHash(svc('web'), 'sha256:2222'));
  });

  it("a volume container's hash ignores the image ID: a newer pull of its tag must not block it", () => {
    expect(configHash(vol('home'), IMAGE_ID)).toBe(configHash(vol('home'), 'sha256:2222'));
    expect(configHash(vol('home'), IMAGE_ID)).not.toBe(configHash({ ...vol('home'), image: 'alpine:3' }, IMAGE_ID));
  });

  it('the spec label holds digests of environment values, never the values', () => {
    const spec = hashedSpec(svc('web', { environment: { DB_PASSWORD: 'hunter2-s3cret', EMPTY: '' } }), IMAGE_ID);
    expect(JSON.stringify(spec)).not.toContain('hunter2-s3cret');
    expect(spec.environment).toEqual({
      DB_PASSWORD: envValueDigest('hunter2-s3cret'),
      EMPTY: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(envValueDigest('hunter2-s3cret')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('canonicalize drops empties and sorts keys', () => {
    expect(JSON.stringify(canonicalize({ b: 1, a: [], c: {}, d: false, e: { z: 1, y: null } }))).toBe('{"b":1,"e":{"z":1}}');
  });
});
