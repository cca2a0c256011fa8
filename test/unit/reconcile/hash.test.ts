import { describe, expect, it } from 'vitest';
import { canonicalize, configHash } from '../../../src/reconcile/hash.js';
import { IMAGE_ID, svc, vol } from './build.js';

describe('config hash', () => {
  it('is the same for the same input, run after run', () => {
    expect(configHash(svc('web'), IMAGE_ID)).toBe(configHash(svc('web'), IMAGE_ID));
  });

  it('is pinned: a dom0 release must not change the hash of an unchanged entry', () => {
    // If this fails, every existing fleet would be recreated on upgrade. Bump HASH_SCHEME with a migration instead.
    expect(configHash(svc('web', { command: ['httpd', '-f'], environment: { A: '1' } }), IMAGE_ID)).toBe(
      '50a82fe2e90be886eba52b79e2b38c9d5cf9fe8680896f198f16e1bfa4a858ab',
    );
    expect(configHash(vol('home', ['/home']), IMAGE_ID)).toBe('b7fa10c395576a27a15cd0e5cf8890227280cf871b69fea6960f57c2b93a0bc9');
  });

  it.each([
    ['field order', svc('web', { environment: { A: '1', B: '2' } }), svc('web', { environment: { B: '2', A: '1' } })],
    ['defaults written or not', svc('web', { init: false, capAdd: [] }), { ...svc('web'), init: undefined as unknown as boolean }],
    ['depends_on', svc('web', { dependsOn: [{ name: 'db', condition: 'service_started', restart: false, required: true }] }), svc('web')],
    ['pull_policy', svc('web', { pullPolicy: 'always' }), svc('web')],
    ['source position', svc('web', { position: { line: 3, col: 3 } }), svc('web', { position: { line: 9, col: 3 } })],
    ['x- extension keys', { ...svc('web'), 'x-note': 'hi' } as never, svc('web')],
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

  it('canonicalize drops empties and sorts keys', () => {
    expect(JSON.stringify(canonicalize({ b: 1, a: [], c: {}, d: false, e: { z: 1, y: null } }))).toBe('{"b":1,"e":{"z":1}}');
  });
});
