import { describe, expect, it } from 'vitest';
import { isDigestPinned, normalizeRegistryHost, parseImageRef, registryHost } from '../../../src/registry/reference.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io', 'library/busybox', 'docker.io/library/busybox:1.36'],
    ['library/busybox:latest', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'docker.io/library/busybox:latest'],
    ['registry-1.docker.io/me/app:1', 'docker.io', 'me/app', 'docker.io/me/app:1'],
    ['me/app', 'docker.io', 'me/app', 'docker.io/me/app:latest'],
    ['ghcr.io/org/app:v2', 'ghcr.io', 'org/app', 'ghcr.io/org/app:v2'],
    ['127.0.0.1:5000/dom0-test/busybox:latest', '127.0.0.1:5000', 'dom0-test/busybox', '127.0.0.1:5000/dom0-test/busybox:latest'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app', '127.0.0.1:5000/app:latest'],
    ['localhost/app:1', 'localhost', 'app', 'localhost/app:1'],
    ['localhost:5000/a/b/c:tag', 'localhost:5000', 'a/b/c', 'localhost:5000/a/b/c:tag'],
    ['Registry.Example.com/app', 'registry.example.com', 'app', 'registry.example.com/app:latest'],
  ])('%s → registry %s, repository %s', (ref, registry, repository, canonical) => {
    const r = parseImageRef(ref);
    expect(r.registry).toBe(registry);
    expect(r.repository).toBe(repository);
    expect(r.canonical).toBe(canonical);
    expect(registryHost(ref)).toBe(registry);
  });

  it('recognizes references pinned by digest, with or without a tag', () => {
    expect(isDigestPinned(`busybox@${DIGEST}`)).toBe(true);
    expect(isDigestPinned(`127.0.0.1:5000/app:1@${DIGEST}`)).toBe(true);
    expect(isDigestPinned('busybox:latest')).toBe(false);
    expect(isDigestPinned('127.0.0.1:5000/app:1')).toBe(false);
    const r = parseImageRef(`127.0.0.1:5000/app@${DIGEST}`);
    expect(r).toMatchObject({ registry: '127.0.0.1:5000', repository: 'app', digest: DIGEST, canonical: `127.0.0.1:5000/app@${DIGEST}` });
    expect(r.tag).toBeUndefined();
  });

  it('normalizes registry hosts: Hub aliases, schemes, paths, case', () => {
    for (const h of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'http://index.docker.io/v1', 'DOCKER.IO']) {
      expect(normalizeRegistryHost(h)).toBe('docker.io');
    }
    expect(normalizeRegistryHost('https://ghcr.io')).toBe('ghcr.io');
    expect(normalizeRegistryHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(normalizeRegistryHost('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(normalizeRegistryHost('Registry.Example.COM:443')).toBe('registry.example.com:443');
  });
});
