import { describe, expect, it } from 'vitest';
import { Credentials, decodeAuth, dockerConfigPath, loadDockerConfig, parseDockerConfig, registryAuthHeader, describeCredential } from '../../../src/registry/credentials.js';
import type { RegistryCredential } from '../../../src/manifest/types.js';
import { scrub } from '../../../src/redact.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function manifest(registries: Record<string, Omit<RegistryCredential, 'host'>>) {
  const out: Record<string, RegistryCredential> = {};
  for (const [host, r] of Object.entries(registries)) out[host] = { host, ...r };
  return { file: '/etc/dom0/dom0.yaml', registries: out };
}

describe('Docker config.json', () => {
  it('reads `auth` (base64 user:password), username/password and identitytoken', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({
        auths: {
          '127.0.0.1:5000': { auth: b64('alice:pw:with:colons') },
          'ghcr.io': { username: 'bob', password: 'ghcr-pw-1' },
          'https://index.docker.io/v1/': { auth: b64('carol:hub-pw-1') },
          'registry.example.com': { identitytoken: 'tok-abc-123' },
          'empty.example.com': {},
        },
      }),
      '/home/x/.docker/config.json',
    );
    expect(cfg.warnings).toEqual([]);
    expect(cfg.auths.get('127.0.0.1:5000')).toMatchObject({ username: 'alice', password: 'pw:with:colons', source: 'docker-config' });
    expect(cfg.auths.get('ghcr.io')).toMatchObject({ username: 'bob', password: 'ghcr-pw-1' });
    expect(cfg.auths.get('docker.io')).toMatchObject({ username: 'carol', password: 'hub-pw-1' });
    expect(cfg.auths.get('registry.example.com')).toMatchObject({ identityToken: 'tok-abc-123' });
    expect(cfg.auths.has('empty.example.com')).toBe(false);
  });

  it('files Hub credentials under docker.io whatever alias config.json uses; the v1 key wins', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({ auths: { 'index.docker.io': { auth: b64('old:old-pw-1') }, 'https://index.docker.io/v1/': { auth: b64('new:new-pw-1') }, 'registry-1.docker.io': { auth: b64('x:x-pw-1') } } }),
      'c',
    );
    expect(cfg.auths.get('docker.io')).toMatchObject({ username: 'new' });
  });

  it('turns bad JSON and undecodable auth into warnings that hold no secret', () => {
    expect(parseDockerConfig('{"auths": {', '/c.json').warnings[0]).toMatch(/\/c\.json is not valid JSON/);
    expect(parseDockerConfig('[]', '/c.json').warnings[0]).toMatch(/not a JSON object/);
    const cfg = parseDockerConfig(JSON.stringify({ auths: { 'a.io': { auth: b64('no-colon-here') } } }), '/c.json');
    expect(cfg.warnings[0]).toMatch(/a\.io.*not base64 of user:password/);
    expect(cfg.warnings[0]).not.toContain('no-colon-here');
    expect(cfg.warnings[0]).not.toContain(b64('no-colon-here'));
  });

  it('notes hosts served by credential helpers (not supported)', () => {
    const cfg = parseDockerConfig(JSON.stringify({ credHelpers: { 'gcr.io': 'gcloud' }, auths: {} }), 'c');
    expect([...cfg.helperHosts]).toEqual(['gcr.io']);
    const creds = Credentials.fromManifest(manifest({}), cfg);
    expect(creds.forImage('gcr.io/p/app')).toEqual({ host: 'gcr.io', helperOnly: true });
    expect(creds.forImage('ghcr.io/p/app')).toEqual({ host: 'ghcr.io' });
    const store = Credentials.fromManifest(manifest({}), parseDockerConfig(JSON.stringify({ credsStore: 'desktop' }), 'c'));
    expect(store.forImage('ghcr.io/p/app').helperOnly).toBe(true);
  });

  it('is found at $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/cfg' })).toBe('/cfg/config.json');
    expect(dockerConfigPath({ HOME: '/home/me' })).toBe('/home/me/.docker/config.json');
    const seen: string[] = [];
    const cfg = loadDockerConfig({ env: { DOCKER_CONFIG: '/cfg' }, readFile: (p) => (seen.push(p), JSON.stringify({ auths: { 'a.io': { username: 'u', password: 'p-a-io-1' } } })) });
    expect(seen).toEqual(['/cfg/config.json']);
    expect(cfg?.auths.get('a.io')?.origin).toBe('/cfg/config.json');
    expect(loadDockerConfig({ env: { DOCKER_CONFIG: '/none' }, readFile: () => undefined })).toBeUndefined();
  });

  it('decodes auth strings', () => {
    expect(decodeAuth(b64('u:p'))).toEqual({ username: 'u', password: 'p' });
    expect(decodeAuth(b64(':p'))).toBeUndefined();
  });
});

describe('choosing credentials per image', () => {
  const config = parseDockerConfig(
    JSON.stringify({
      auths: {
        '127.0.0.1:5000': { auth: b64('cfg-user:cfg-pw-5000') },
        'ghcr.io': { auth: b64('cfg-gh:cfg-pw-ghcr') },
        'https://index.docker.io/v1/': { auth: b64('cfg-hub:cfg-pw-hub') },
      },
    }),
    '/root/.docker/config.json',
  );

  it('picks the manifest entry over config.json for the same host', () => {
    const creds = Credentials.fromManifest(manifest({ '127.0.0.1:5000': { username: 'man-user', password: 'man-pw-5000' } }), config);
    expect(creds.forImage('127.0.0.1:5000/app:1').credential).toMatchObject({ username: 'man-user', password: 'man-pw-5000', source: 'manifest' });
    expect(creds.forImage('ghcr.io/o/app').credential).toMatchObject({ username: 'cfg-gh', source: 'docker-config' });
  });

  it('matches Hub images to Hub credentials under any alias', () => {
    for (const key of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
      const creds = Credentials.fromManifest(manifest({ [key]: { username: 'hub-man', password: 'hub-man-pw' } }), config);
      for (const ref of ['busybox', 'busybox:latest', 'me/app:1', 'docker.io/library/busybox', 'index.docker.io/me/app']) {
        expect(creds.forImage(ref).credential, `${key} / ${ref}`).toMatchObject({ username: 'hub-man', source: 'manifest' });
      }
      expect(creds.authFor('busybox')).toEqual({ username: 'hub-man', password: 'hub-man-pw', serveraddress: 'https://index.docker.io/v1/' });
    }
    const fromConfig = Credentials.fromManifest(manifest({}), config);
    expect(fromConfig.forImage('busybox').credential).toMatchObject({ username: 'cfg-hub' });
  });

  it('does not send one registry\'s credentials to another', () => {
    const creds = Credentials.fromManifest(manifest({ '127.0.0.1:5000': { username: 'u', password: 'pw-only-5000' } }), undefined);
    expect(creds.authFor('127.0.0.1:5001/app')).toBeUndefined();
    expect(creds.authFor('busybox')).toBeUndefined();
    expect(creds.authFor('localhost:5000/app')).toBeUndefined();
    expect(creds.authFor('127.0.0.1:5000/app')).toEqual({ username: 'u', password: 'pw-only-5000', serveraddress: '127.0.0.1:5000' });
  });

  it('sends an identity token when there is one', () => {
    const creds = Credentials.fromManifest(manifest({ 'registry.example.com': { identityToken: 'id-token-xyz' } }), undefined);
    expect(creds.authFor('registry.example.com/app')).toEqual({ identitytoken: 'id-token-xyz', serveraddress: 'registry.example.com' });
  });

  it('describes a credential by user and origin, never by its secret', () => {
    const creds = Credentials.fromManifest(manifest({ 'ghcr.io': { username: 'octo', password: 'octo-secret-pw' } }), config);
    const d = describeCredential(creds.forHost('ghcr.io')!);
    expect(d).toBe('user "octo" (from `registries` in /etc/dom0/dom0.yaml)');
    expect(describeCredential(creds.forHost('127.0.0.1:5000')!)).toBe('user "cfg-user" (from /root/.docker/config.json)');
  });
});

describe('secrets are registered for scrubbing', () => {
  it('scrubs passwords, tokens, auth strings and the X-Registry-Auth header from any text', () => {
    const auth = b64('scrub-user:scrub-cfg-pw');
    const cfg = parseDockerConfig(JSON.stringify({ auths: { 'a.io': { auth }, 'b.io': { identitytoken: 'scrub-token-1' } } }), 'c');
    const creds = Credentials.fromManifest(manifest({ 'c.io': { username: 'x', password: 'scrub-man-pw' } }), cfg);
    const header = registryAuthHeader(creds.authFor('c.io/app')!);
    const text = `a scrub-cfg-pw b ${auth} c scrub-token-1 d scrub-man-pw e ${header} f`;
    const out = scrub(text);
    for (const s of ['scrub-cfg-pw', auth, 'scrub-token-1', 'scrub-man-pw', header]) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
  });

  it('encodes the header as the engine adapter sends it (base64url JSON, no undefined keys)', () => {
    const h = registryAuthHeader({ username: 'u', password: 'header-pw-1', serveraddress: 'r.io' });
    const json = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString());
    expect(json).toEqual({ username: 'u', password: 'header-pw-1', serveraddress: 'r.io' });
  });
});
