import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Credential,
  Credentials,
  decodeAuth,
  describeCredential,
  dockerConfigPath,
  type HelperAnswer,
  loadDockerConfig,
  parseDockerConfig,
  registryAuthHeader,
  runCredentialHelper,
} from '../../../src/registry/credentials.js';
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

  it('reads credHelpers (per host) and credsStore (every other host)', () => {
    const cfg = parseDockerConfig(JSON.stringify({ credHelpers: { 'gcr.io': 'gcloud', 'https://index.docker.io/v1/': 'hub' }, credsStore: 'pass', auths: {} }), 'c');
    expect([...cfg.helpers]).toEqual([
      ['gcr.io', 'gcloud'],
      ['docker.io', 'hub'],
    ]);
    expect(cfg.store).toBe('pass');
  });

  describe('credential helpers, asked as the docker CLI asks them', () => {
    const asked: Array<[string, string]> = [];
    const runner = (answers: Record<string, HelperAnswer>) => (helper: string, server: string) => {
      asked.push([helper, server]);
      return answers[`${helper} ${server}`];
    };
    const config = (o: object) => parseDockerConfig(JSON.stringify(o), '/root/.docker/config.json');

    it.each<[string, object, Record<string, HelperAnswer>, string, Partial<Credential> | undefined, string | undefined]>([
      ['credHelpers wins for its host', { credHelpers: { 'gcr.io': 'gcloud' }, credsStore: 'pass' }, { 'gcloud gcr.io': { username: 'u', password: 'gc-secret-1' } }, 'gcr.io/p/app', { username: 'u', password: 'gc-secret-1', source: 'credential-helper' }, undefined],
      ['credsStore serves other hosts', { credHelpers: { 'gcr.io': 'gcloud' }, credsStore: 'pass' }, { 'pass ghcr.io': { username: 'v', password: 'pass-secret-1' } }, 'ghcr.io/p/app', { username: 'v', password: 'pass-secret-1' }, undefined],
      ['Hub is asked by its server URL', { credsStore: 'pass' }, { 'pass https://index.docker.io/v1/': { username: 'h', password: 'hub-secret-1' } }, 'redis:7', { username: 'h' }, undefined],
      ['an identity token', { credsStore: 'ecr' }, { 'ecr r.example.com': { identityToken: 'tok-secret-1' } }, 'r.example.com/a', { identityToken: 'tok-secret-1' }, undefined],
      ['nothing stored: auths is used', { credsStore: 'pass', auths: { 'ghcr.io': { username: 'f', password: 'file-secret-1' } } }, {}, 'ghcr.io/a', { username: 'f', source: 'docker-config' }, 'docker-credential-pass has no credentials for ghcr.io'],
      ['a failing helper: anonymous, with why', { credsStore: 'pass' }, { 'pass ghcr.io': { error: 'docker-credential-pass is not on PATH' } }, 'ghcr.io/a', undefined, 'docker-credential-pass is not on PATH'],
    ])('%s', (_what, cfg, answers, ref, want, problem) => {
      const creds = Credentials.fromManifest(manifest({}), config(cfg), runner(answers));
      const got = creds.forImage(ref);
      if (want) expect(got.credential).toMatchObject(want);
      else expect(got.credential).toBeUndefined();
      expect(got.helperProblem).toBe(problem);
    });

    it('the manifest wins without asking a helper; a helper is asked once per host', () => {
      asked.length = 0;
      const creds = Credentials.fromManifest(manifest({ 'ghcr.io': { username: 'm', password: 'm-secret-1' } }), config({ credsStore: 'pass' }), runner({ 'pass quay.io': { username: 'q', password: 'q-secret-1' } }));
      expect(creds.forImage('ghcr.io/a').credential?.source).toBe('manifest');
      creds.forImage('quay.io/a');
      creds.authFor('quay.io/b');
      expect(asked).toEqual([['pass', 'quay.io']]);
      expect(scrub('x q-secret-1 y')).toBe('x [redacted] y');
    });

    it('runs docker-credential-<name> get with the server on stdin (a fake helper on PATH)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cred-helper-'));
      writeFileSync(
        join(dir, 'docker-credential-fake'),
        '#!/bin/sh\nread server\n[ "$1" = get ] || exit 3\ncase "$server" in\n  r.example.com) echo \'{"ServerURL":"r.example.com","Username":"alice","Secret":"fake-secret-77"}\' ;;\n  *) echo "credentials not found in native keychain"; exit 1 ;;\nesac\n',
        { mode: 0o755 },
      );
      writeFileSync(join(dir, 'docker-credential-broken'), '#!/bin/sh\necho "boom fake-secret-77" >&2; exit 4\n', { mode: 0o755 });
      const old = process.env.PATH;
      process.env.PATH = `${dir}:${old}`;
      try {
        expect(runCredentialHelper('fake', 'r.example.com')).toEqual({ username: 'alice', password: 'fake-secret-77' });
        expect(runCredentialHelper('fake', 'other.example.com')).toBeUndefined();
        expect(runCredentialHelper('broken', 'r.example.com')).toEqual({ error: 'docker-credential-broken failed (exit 4)' });
        expect(runCredentialHelper('absent', 'r.example.com')).toEqual({ error: 'docker-credential-absent is not on PATH' });
        expect(scrub('fake-secret-77')).toBe('[redacted]');
      } finally {
        process.env.PATH = old;
      }
    });
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
