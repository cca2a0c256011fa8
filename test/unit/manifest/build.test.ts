// `build:` in the manifest: short and long forms normalized into a BuildSpec, the image name when
// `image` is absent, git contexts, args from the environment, and the keys the Engine API builder
// cannot honour warned about or rejected.
import { describe, expect, it } from 'vitest';
import { defaultImageName, isGitContext } from '../../../src/manifest/build.js';
import type { ContainerSpec } from '../../../src/manifest/types.js';
import { FILE, loadErrors, loadOk } from './helpers.js';

const web = (yaml: string, env: Record<string, string> = {}): { spec: ContainerSpec; warnings: string[] } => {
  const { manifest, warnings } = loadOk(`name: shop\nservices:\n  web:\n${yaml}`, { env });
  return { spec: manifest.services[0]!, warnings: warnings.map((w) => w.message) };
};

describe('build: normalized', () => {
  it.each([
    ['short form: the context, relative to the manifest', '    build: ./app\n', { context: '/srv/dom0/app', remote: false, dockerfile: 'Dockerfile', localName: true }],
    ['long form without context: the manifest directory', '    build: {dockerfile: Dockerfile.prod}\n', { context: '/srv/dom0', dockerfile: 'Dockerfile.prod' }],
    ['an absolute context', '    build: {context: /opt/src}\n', { context: '/opt/src' }],
    ['a git URL is remote, kept as written', '    build: https://github.com/acme/app.git#main:web\n', { context: 'https://github.com/acme/app.git#main:web', remote: true }],
    ['git@ is remote', '    build: {context: "git@github.com:acme/app.git"}\n', { remote: true }],
    ['an inline Dockerfile', '    build: {dockerfile_inline: "FROM busybox\\n"}\n', { dockerfileInline: 'FROM busybox\n' }],
    [
      'options passed to the engine',
      '    build:\n      context: .\n      target: run\n      network: host\n      shm_size: 64m\n      no_cache: true\n      pull: "true"\n      cache_from: [a:1]\n      extra_hosts: {db: 10.0.0.2}\n      labels: [team=core]\n      tags: [shop/web:2]\n',
      { target: 'run', network: 'host', shmSizeBytes: 64 * 1024 * 1024, noCache: true, pull: true, cacheFrom: ['a:1'], extraHosts: ['db:10.0.0.2'], labels: { team: 'core' }, tags: ['shop/web:2'] },
    ],
    ['one platform is the build platform', '    build: {context: ., platforms: [linux/arm64]}\n', { platform: 'linux/arm64' }],
  ])('%s', (_name, yaml, expected) => {
    expect(web(yaml).spec.build).toMatchObject(expected);
  });

  it('an inline Dockerfile names no dockerfile', () => {
    expect(web('    build: {dockerfile_inline: "FROM busybox"}\n').spec.build).not.toHaveProperty('dockerfile');
  });

  it('args: list or map; a bare KEY from the environment, dropped when unset', () => {
    const list = web('    build:\n      context: .\n      args: [A=1, TOKEN, UNSET]\n', { TOKEN: 't0k' }).spec.build!;
    expect(list.args).toEqual({ A: '1', TOKEN: 't0k' });
    const map = web('    build:\n      context: .\n      args: {B: 2, TOKEN: null}\n', { TOKEN: 'x' }).spec.build!;
    expect(map.args).toEqual({ B: '2', TOKEN: 'x' });
  });

  it('names the image <fleet>-<entry> without `image`, and keeps `image` when set', () => {
    expect(web('    build: .\n').spec.image).toBe('shop-web');
    const { spec } = web('    image: acme/web:1\n    build: .\n');
    expect(spec.image).toBe('acme/web:1');
    expect(spec.build!.localName).toBe(false);
    expect(defaultImageName('shop', 'Web')).toBe('shop-web');
  });

  it('accepts pull_policy build', () => {
    expect(web('    build: .\n    pull_policy: build\n').spec.pullPolicy).toBe('build');
  });

  it('warns about the keys the Engine API builder has no equivalent for', () => {
    const { warnings } = web('    build:\n      context: .\n      ssh: [default]\n      secrets: [npm]\n      platforms: [linux/amd64, linux/arm64]\n');
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('build.ssh is ignored'),
        expect.stringContaining('build.secrets is ignored'),
        expect.stringContaining('build.platforms lists 2 platforms'),
      ]),
    );
  });

  it('build is not part of the config hash input (the image ID stands for it)', async () => {
    const { configHash } = await import('../../../src/reconcile/hash.js');
    const a = web('    image: x\n    build: ./a\n').spec;
    const b = web('    image: x\n    build: ./b\n').spec;
    expect(configHash(a, 'sha256:1')).toBe(configHash(b, 'sha256:1'));
  });
});

describe('build: rejected', () => {
  it.each([
    ['neither image nor build', 'services:\n  web:\n    command: ls\n', 'missing required key `image`'],
    ['additional_contexts', 'services:\n  web:\n    build:\n      context: .\n      additional_contexts: {base: ../base}\n', '`additional_contexts` is not supported by dom0: the Engine API builder takes one context'],
    ['an unknown build key, with a suggestion', 'services:\n  web:\n    build:\n      contxt: .\n', 'unknown key `contxt` (did you mean `context`?)'],
    ['dockerfile and dockerfile_inline together', 'services:\n  web:\n    build: {dockerfile: D, dockerfile_inline: "FROM x"}\n', 'set `dockerfile` or `dockerfile_inline`, not both'],
    ['a build that is neither a path nor a mapping', 'services:\n  web:\n    build: [a]\n', '`build` must be a path (the build context) or a mapping'],
    ['a service platform missing from build.platforms', 'services:\n  web:\n    platform: linux/amd64\n    build: {context: ., platforms: [linux/arm64]}\n', 'build.platforms must include the service\'s platform'],
  ])('%s', (_name, yaml, message) => {
    const errs = loadErrors(yaml);
    expect(errs.join('\n')).toContain(message);
    expect(errs[0]).toContain(FILE);
  });
});

describe('isGitContext', () => {
  it.each([
    ['https://github.com/acme/app.git', true],
    ['https://github.com/acme/app.git#v1:sub', true],
    ['git@github.com:acme/app.git', true],
    ['git://example.com/app', true],
    ['github.com/acme/app', true],
    ['./app', false],
    ['/srv/app.git', false],
    ['https://example.com/context.tar.gz', false],
  ])('%s → %s', (ctx, remote) => {
    expect(isGitContext(ctx)).toBe(remote);
  });
});
