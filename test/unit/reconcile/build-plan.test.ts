// Builds in the plan and in apply (in-memory engine): when an image is built, pulled first, or left
// alone; the content hash of a context (.dockerignore applied); the tar sent; failures.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageInfo } from '../../../src/engine/engine.js';
import { EngineError } from '../../../src/engine/errors.js';
import type { BuildSpec, PullPolicy } from '../../../src/manifest/types.js';
import { apply, type ApplyOptions } from '../../../src/reconcile/apply.js';
import { BUILD_HASH_LABEL, planBuilds } from '../../../src/reconcile/build.js';
import { buildHash, contextTar, GENERATED_DOCKERFILE, readContext } from '../../../src/reconcile/build-context.js';
import { DockerIgnore } from '../../../src/reconcile/dockerignore.js';
import { planPulls } from '../../../src/reconcile/pull.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { memoryLog } from '../../support/pull-engine.js';
import { manifest, svc } from './build.js';

function spec(context: string, over: Partial<BuildSpec> = {}): BuildSpec {
  return { context, remote: false, dockerfile: 'Dockerfile', args: {}, labels: {}, extraHosts: [], noCache: false, pull: false, cacheFrom: [], tags: [], localName: true, ...over };
}

function image(labels: Record<string, string> = {}): ImageInfo {
  return { id: 'sha256:aaa', repoTags: [], repoDigests: [], created: '', volumes: [], labels };
}

function contextDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dom0-build-plan-'));
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

describe('planBuilds', () => {
  const m = (policy: PullPolicy = 'missing') => manifest({ services: [svc('web', { image: 'fleet-web', pullPolicy: policy, build: spec('/ctx') })] });
  const H = 'f'.repeat(64);
  it.each<[string, ImageInfo | undefined, PullPolicy, 'build' | 'skip', RegExp]>([
    ['absent', undefined, 'missing', 'build', /^image not present locally$/],
    ['built from the same inputs', image({ [BUILD_HASH_LABEL]: H }), 'missing', 'skip', /^up to date/],
    ['built from other inputs', image({ [BUILD_HASH_LABEL]: 'e'.repeat(64) }), 'missing', 'build', /^build inputs changed \(eeeeeeeeeeee → ffffffffffff\)$/],
    ['present, not built by dom0', image(), 'missing', 'skip', /not built by dom0/],
    ['present, not built by dom0, pull_policy build', image(), 'build', 'build', /^pull_policy build/],
    ['pull_policy build, same inputs', image({ [BUILD_HASH_LABEL]: H }), 'build', 'skip', /^up to date/],
  ])('%s → %s', (_n, present, policy, action, reason) => {
    const [step] = planBuilds(m(policy), { 'fleet-web': present }, new Map([['fleet-web', { hash: H }]]));
    expect(step).toMatchObject({ image: 'fleet-web', entries: ['web'], action, hash: H });
    expect(step!.reason).toMatch(reason);
  });

  it('an unreadable context fails an absent image, and keeps a present one', () => {
    const hashes = new Map([['fleet-web', { error: 'build context /ctx cannot be read: ENOENT' }]]);
    expect(planBuilds(m(), {}, hashes)[0]).toMatchObject({ action: 'fail', reason: expect.stringContaining('ENOENT') });
    expect(planBuilds(m(), { 'fleet-web': image() }, hashes)[0]).toMatchObject({ action: 'skip' });
  });

  it('shows build args by name, never their values', () => {
    const mm = manifest({ services: [svc('web', { image: 'w', build: spec('/ctx', { args: { NPM_TOKEN: 's3cret-value' } }) })] });
    const [step] = planBuilds(mm, {}, new Map([['w', { hash: H }]]));
    expect(step!.inputs.args).toEqual(['NPM_TOKEN']);
    expect(JSON.stringify(step)).not.toContain('s3cret-value');
  });

  it('entries sharing a built image are one step', () => {
    const mm = manifest({ services: [svc('a', { image: 'img', build: spec('/ctx') }), svc('b', { image: 'img' })] });
    expect(planBuilds(mm, {}, new Map([['img', { hash: H }]]))).toMatchObject([{ image: 'img', entries: ['a', 'b'] }]);
  });
});

describe('planPulls for built images (as Compose)', () => {
  const one = (over: Parameters<typeof svc>[1], present?: ImageInfo) =>
    planPulls(manifest({ services: [svc('web', over)] }), present ? { [over!.image!]: present } : {}, () => undefined, 0)[0]!;
  it.each<[string, Parameters<typeof svc>[1], ImageInfo | undefined, 'pull' | 'skip', RegExp]>([
    ['no image: never pulled', { image: 'fleet-web', build: spec('/c') }, undefined, 'skip', /no `image:` to pull/],
    ['pull_policy build: never pulled', { image: 'acme/web', pullPolicy: 'build', build: spec('/c', { localName: false }) }, undefined, 'skip', /pull_policy build/],
    ['never, absent: built instead of failing', { image: 'acme/web', pullPolicy: 'never', build: spec('/c', { localName: false }) }, undefined, 'skip', /built, not pulled/],
    ['missing, absent: pulled first', { image: 'acme/web', build: spec('/c', { localName: false }) }, undefined, 'pull', /built if the pull fails/],
    ['missing, present: not pulled', { image: 'acme/web', build: spec('/c', { localName: false }) }, image(), 'skip', /present locally/],
  ])('%s', (_n, over, present, action, reason) => {
    const step = one(over, present);
    expect(step).toMatchObject({ action, buildable: true });
    expect(step.reason).toMatch(reason);
  });
});

describe('.dockerignore', () => {
  it.each<[string, string, boolean]>([
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['**/*.md', 'docs/README.md', true],
    ['**/*.md', 'README.md', true],
    ['node_modules', 'node_modules/x/index.js', true],
    ['/build', 'build/out.o', true],
    ['./tmp/', 'tmp/a', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['*\n!keep.md', 'keep.md', false],
    ['*.md\n!keep.md', 'other.md', true],
    ['docs\n!docs/keep', 'docs/keep', false],
    ['docs\n!docs/keep', 'docs/other', true],
    ['# comment\n\n  *.log  ', 'x.log', true],
    ['*', 'Dockerfile', false], // always sent
    ['*', '.dockerignore', false],
  ])('%j ignores %s: %s', (text, path, ignored) => {
    expect(DockerIgnore.parse(text, ['Dockerfile', '.dockerignore']).ignores(path)).toBe(ignored);
  });
});

describe('build context', () => {
  it('the hash follows the kept files and the options, not ignored files or times', async () => {
    const dir = contextDir({ Dockerfile: 'FROM busybox\n', 'app.txt': 'one', 'notes.md': 'x', '.dockerignore': '*.md\n' });
    const s = spec(dir);
    const h0 = await buildHash(s);
    expect(h0).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(dir, 'notes.md'), 'changed');
    expect(await buildHash(s)).toBe(h0);
    writeFileSync(join(dir, 'app.txt'), 'one'); // rewritten, same content: a new mtime only
    expect(await buildHash(s)).toBe(h0);
    // the same files elsewhere: the same hash (the host and dom0's container agree)
    const copy = contextDir({ Dockerfile: 'FROM busybox\n', 'app.txt': 'one', '.dockerignore': '*.md\n' });
    expect(await buildHash(spec(copy))).toBe(h0);
    expect(await buildHash(spec(dir, { args: { V: '2' } }))).not.toBe(h0);
    writeFileSync(join(dir, 'app.txt'), 'two');
    const h1 = await buildHash(s);
    expect(h1).not.toBe(h0);
    chmodSync(join(dir, 'app.txt'), 0o755);
    expect(await buildHash(s)).not.toBe(h1);
  });

  it('a git context hashes its URL and options (the engine fetches it)', async () => {
    const r = spec('https://github.com/acme/app.git#main', { remote: true });
    expect(await buildHash(r)).toBe(await buildHash(r));
    expect(await buildHash(r)).not.toBe(await buildHash({ ...r, context: 'https://github.com/acme/app.git#v2' }));
  });

  it('the tar holds the kept files, long paths included; an inline Dockerfile is added', async () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(120)}.txt`;
    const dir = contextDir({ 'app.txt': 'one', 'sub/x.md': 'x', [long]: 'deep', '.dockerignore': '**/*.md\n' });
    const e = new MemoryEngine();
    const ctx = await readContext(spec(dir, { dockerfile: undefined, dockerfileInline: 'FROM busybox\n' }));
    expect(ctx.dockerfile).toBe(GENERATED_DOCKERFILE);
    await e.buildImage({ tags: ['t'], context: contextTar(ctx), args: {}, labels: {}, extraHosts: [], noCache: false, pull: false, cacheFrom: [] });
    expect(e.builds[0]!.entries).toEqual(['.dockerignore', 'app.txt', 'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/', `${'d'.repeat(60)}/${'e'.repeat(60)}/`, long, 'sub/', GENERATED_DOCKERFILE]);
  });
});

describe('apply with builds (in-memory engine)', () => {
  const opts = (over: ApplyOptions = {}): ApplyOptions => ({ pull: { stateDir: null, env: {}, sleep: async () => undefined }, sleep: async () => undefined, ...over });
  const m = (dir: string) => manifest({ services: [svc('web', { image: 'fleet-web', build: spec(dir, { args: { A: '1' }, labels: { team: 'core' } }) })] });

  it('builds an absent image, then a no-op apply builds and recreates nothing; a changed file rebuilds and recreates', async () => {
    const dir = contextDir({ Dockerfile: 'FROM busybox\n', 'app.txt': 'one' });
    const e = new MemoryEngine();
    const { log, lines } = memoryLog();
    const r1 = await apply(m(dir), e, opts({ log }));
    expect(r1.converged).toBe(true);
    expect(r1.plan.builds).toMatchObject([{ image: 'fleet-web', action: 'build' }]);
    expect(r1.outcomes[0]).toMatchObject({ action: 'create', status: 'ok' });
    expect(e.builds).toHaveLength(1);
    expect(e.builds[0]).toMatchObject({ tags: ['fleet-web'], dockerfile: 'Dockerfile', args: { A: '1' }, labels: { team: 'core', [BUILD_HASH_LABEL]: r1.plan.builds[0]!.hash } });
    expect(e.builds[0]!.entries).toEqual(['Dockerfile', 'app.txt']);
    expect(e.calls.pullImage ?? 0).toBe(0);
    expect(lines.some((l) => l.event === 'build-progress')).toBe(true);

    const r2 = await apply(m(dir), e, opts());
    expect(r2.plan.builds[0]!.action).toBe('skip');
    expect(r2.outcomes[0]!.action).toBe('keep');
    expect(e.builds).toHaveLength(1);

    writeFileSync(join(dir, 'app.txt'), 'two');
    const r3 = await apply(m(dir), e, opts());
    expect(r3.plan.builds[0]!.action).toBe('build');
    expect(r3.outcomes[0]).toMatchObject({ action: 'recreate', status: 'ok' });
  });

  it('with image: and the default policy, an absent image is pulled once; when that fails, it is built', async () => {
    const dir = contextDir({ Dockerfile: 'FROM busybox\n' });
    const e = new MemoryEngine();
    e.failOn('pullImage', { error: () => new EngineError('unreachable', 'dial tcp: lookup registry: no such host') });
    const mm = manifest({ services: [svc('web', { image: 'acme/web:1', build: spec(dir, { localName: false }) })] });
    const r = await apply(mm, e, opts());
    expect(e.calls.pullImage).toBe(1); // no retries: it can be built
    expect(r.pulls.failed.size).toBe(0);
    expect(r.pulls.retryable).toEqual([]);
    expect(r.plan.builds[0]).toMatchObject({ action: 'build' });
    expect(r.converged).toBe(true);
  });

  it('a failing build fails its entries; a failed rebuild keeps the image that was there', async () => {
    const dir = contextDir({ Dockerfile: 'FROM busybox\n', 'a.txt': '1' });
    const e = new MemoryEngine();
    e.failOn('buildImage', { error: () => new EngineError('invalid', 'build of fleet-web failed: The command \'/bin/sh -c false\' returned a non-zero code: 1'), times: 1 });
    const r1 = await apply(m(dir), e, opts());
    expect(r1.converged).toBe(false);
    expect(r1.outcomes[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('returned a non-zero code') });
    expect(r1.builds.failed.has('fleet-web')).toBe(true);

    await apply(m(dir), e, opts());
    writeFileSync(join(dir, 'a.txt'), '2');
    e.failOn('buildImage', { times: 1 });
    const r3 = await apply(m(dir), e, opts());
    expect(r3.builds.images[0]).toMatchObject({ result: 'present', error: expect.stringContaining('failed') });
    expect(r3.outcomes[0]).toMatchObject({ action: 'keep', status: 'ok' });
  });

  it('a missing context fails the entry with the path', async () => {
    const r = await apply(m('/nonexistent/dom0-build-ctx'), new MemoryEngine(), opts());
    expect(r.outcomes[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('/nonexistent/dom0-build-ctx') });
  });

  it('a git context is sent as remote, with no tar', async () => {
    const e = new MemoryEngine();
    const mm = manifest({ services: [svc('web', { image: 'fleet-web', build: spec('https://github.com/acme/app.git#main:web', { remote: true }) })] });
    await apply(mm, e, opts());
    expect(e.builds[0]).toMatchObject({ remote: 'https://github.com/acme/app.git#main:web', dockerfile: 'Dockerfile' });
    expect(e.builds[0]!.entries).toBeUndefined();
  });
});
