import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PullPolicy } from '../../../src/manifest/types.js';
import { pullImages, type PullImagesOptions } from '../../../src/reconcile/pull.js';
import { Credentials, parseDockerConfig } from '../../../src/registry/credentials.js';
import { manifest, svc, vol } from './build.js';
import { FakeEngine, manifestUnknown, memoryLog, refused, unauthorized } from '../../support/pull-engine.js';

const REG = '127.0.0.1:5000';
const PW = 'unit-test-registry-pw';
const noWait: PullImagesOptions = { sleep: async () => undefined, random: () => 0.5, stateDir: null, env: {} };

function fleet(images: Array<[string, string, PullPolicy?]>, registries = true) {
  const m = manifest({ services: images.map(([name, image, pullPolicy]) => svc(name, { image, pullPolicy: pullPolicy ?? 'missing' })) });
  if (registries) m.registries = { [REG]: { host: REG, username: 'dom0test', password: PW } };
  return m;
}

describe('pullImages', () => {
  it('pulls each distinct image once, however it is spelled, and reports them', async () => {
    const e = new FakeEngine();
    const m = fleet([
      ['aa', 'busybox'],
      ['bb', 'busybox:latest'],
      ['cc', 'docker.io/library/busybox:latest'],
      ['dd', `${REG}/app:1`],
    ]);
    m.volumeContainers = [vol('vv')];
    const { log } = memoryLog();
    const out = await pullImages(m, e.asEngine(), log, noWait);
    // the volume container comes first: its spelling names the image
    expect(e.pulls.map((p) => p.ref).sort()).toEqual([`${REG}/app:1`, 'busybox:latest']);
    expect(out.failed.size).toBe(0);
    expect(out.pulled.sort()).toEqual([`${REG}/app:1`, 'busybox', 'busybox:latest', 'docker.io/library/busybox:latest']);
    expect(out.images.map((i) => [i.ref, i.result])).toEqual([
      [`${REG}/app:1`, 'pulled'],
      ['busybox:latest', 'pulled'],
    ]);
    expect(out.images[1]!.refs.sort()).toEqual(['busybox', 'busybox:latest', 'docker.io/library/busybox:latest']);
  });

  it('bounds the number of pulls running at once', async () => {
    const e = new FakeEngine(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return undefined;
    });
    const m = fleet(Array.from({ length: 10 }, (_, i) => [`s${i}`, `${REG}/app${i}:1`] as [string, string]));
    await pullImages(m, e.asEngine(), memoryLog().log, { ...noWait, concurrency: 3 });
    expect(e.pulls).toHaveLength(10);
    expect(e.maxActive).toBe(3);
  });

  it('sends the credentials of the image\'s registry, and none to other registries', async () => {
    const e = new FakeEngine();
    const m = fleet([
      ['aa', `${REG}/app:1`],
      ['bb', 'ghcr.io/o/app:1'],
    ]);
    await pullImages(m, e.asEngine(), memoryLog().log, noWait);
    const auth = Object.fromEntries(e.pulls.map((p) => [p.ref, p.opts.auth]));
    expect(auth[`${REG}/app:1`]).toEqual({ username: 'dom0test', password: PW, serveraddress: REG });
    expect(auth['ghcr.io/o/app:1']).toBeUndefined();
  });

  it('uses config.json credentials when the manifest has none for that host', async () => {
    const e = new FakeEngine();
    const m = fleet([['aa', 'ghcr.io/o/app:1']], false);
    const cfg = parseDockerConfig(JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('gh:gh-config-pw').toString('base64') } } }), '/x/config.json');
    await pullImages(m, e.asEngine(), memoryLog().log, { ...noWait, credentials: Credentials.fromManifest(m, cfg) });
    expect(e.pulls[0]!.opts.auth).toEqual({ username: 'gh', password: 'gh-config-pw', serveraddress: 'ghcr.io' });
  });

  it('passes the stall timeout to the engine', async () => {
    const e = new FakeEngine();
    await pullImages(fleet([['aa', `${REG}/app:1`]]), e.asEngine(), memoryLog().log, { ...noWait, stallTimeoutMs: 3000 });
    expect(e.pulls[0]!.opts.stallTimeoutMs).toBe(3000);
  });

  it('retries transient failures with backoff and succeeds', async () => {
    const e = new FakeEngine((ref, _o, n) => {
      if (n < 3) throw refused(ref);
      return 'sha256:new';
    });
    const delays: number[] = [];
    const { log, lines } = memoryLog();
    const out = await pullImages(fleet([['aa', `${REG}/app:1`]]), e.asEngine(), log, { ...noWait, sleep: async (ms) => void delays.push(ms), random: () => 1 });
    expect(e.pulls).toHaveLength(3);
    expect(delays).toEqual([1000, 2000]);
    expect(out.failed.size).toBe(0);
    expect(lines.filter((l) => l.event === 'pull-retry')).toHaveLength(2);
    const summary = lines.find((l) => l.event === 'pull')!;
    expect(summary).toMatchObject({ level: 'info', image: `${REG}/app:1`, result: 'pulled', attempts: 3, bytes: 100 });
    expect(summary.msg).toMatch(/pulled 127\.0\.0\.1:5000\/app:1: 100 B in .* after 3 attempts/);
  });

  it('absent image, registry down: that image fails after the attempts, as retryable', async () => {
    const e = new FakeEngine((ref) => {
      throw refused(ref);
    });
    const { log, lines } = memoryLog();
    const out = await pullImages(fleet([['aa', `${REG}/app:1`], ['bb', 'busybox:latest']]), e.asEngine(), log, { ...noWait, retry: { attempts: 4 } });
    expect(e.pulls.filter((p) => p.ref === `${REG}/app:1`)).toHaveLength(4);
    expect(out.failed.get(`${REG}/app:1`)).toMatch(/failed after 4 attempts: registry 127\.0\.0\.1:5000 unreachable or failing \(.*connection refused\)/);
    expect(out.failed.has('busybox:latest')).toBe(true); // the fake refuses everything
    expect(out.retryable.sort()).toEqual([`${REG}/app:1`, 'busybox:latest']);
    expect(lines.filter((l) => l.event === 'pull-failed' && l.level === 'error')).toHaveLength(2);
  });

  it('present image, registry down: falls back to the local image, warns once per process', async () => {
    const e = new FakeEngine((ref) => {
      throw refused(ref);
    });
    const ref = `${REG}/fallback:1`;
    e.images.set(ref, 'sha256:local');
    const { log, lines } = memoryLog();
    const m = fleet([['aa', ref, 'always']]);
    const out = await pullImages(m, e.asEngine(), log, noWait);
    expect(out.failed.size).toBe(0);
    expect(out.fellBack).toEqual([ref]);
    expect(out.images[0]).toMatchObject({ result: 'fallback', imageId: 'sha256:local', transient: true });
    await pullImages(m, e.asEngine(), log, noWait);
    const fb = lines.filter((l) => l.event === 'pull-fallback');
    expect(fb.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(fb[0]!.msg).toMatch(/using the local image local/);
  });

  it('deferPresent (boot): a present image is not pulled now but handed to the background retry; an absent one is pulled', async () => {
    const e = new FakeEngine();
    const present = `${REG}/boot:1`;
    e.images.set(present, 'sha256:local');
    const { log, lines } = memoryLog();
    const out = await pullImages(fleet([['aa', present, 'always'], ['bb', `${REG}/absent:1`, 'always']]), e.asEngine(), log, { ...noWait, deferPresent: true });
    expect(e.pulls.map((p) => p.ref)).toEqual([`${REG}/absent:1`]);
    expect(out.images.find((i) => i.ref === present)).toMatchObject({ result: 'fallback', imageId: 'sha256:local', transient: true });
    expect(lines.filter((l) => l.event === 'pull-deferred').map((l) => l.image)).toEqual([present]);
  });

  it('wrong password: no retry, a message naming registry and user, never the password', async () => {
    const e = new FakeEngine(() => {
      throw unauthorized();
    });
    const ref = `${REG}/app:2`;
    const { log, text } = memoryLog();
    const out = await pullImages(fleet([['aa', ref], ['bb', 'other:1']]), e.asEngine(), log, noWait);
    expect(e.pulls.filter((p) => p.ref === ref)).toHaveLength(1);
    const msg = out.failed.get(ref)!;
    expect(msg).toContain('registry 127.0.0.1:5000 refused the credentials of user "dom0test"');
    expect(msg).toContain('check the username and password');
    expect(out.retryable).toEqual([]);
    expect(msg).not.toContain(PW);
    expect(text()).not.toContain(PW);
    expect(text()).not.toContain(Buffer.from(`dom0test:${PW}`).toString('base64'));
  });

  it('no credentials at all: says none are configured for that registry', async () => {
    const e = new FakeEngine(() => {
      throw unauthorized();
    });
    const out = await pullImages(fleet([['aa', 'ghcr.io/o/private:1']]), e.asEngine(), memoryLog().log, noWait);
    expect(out.failed.get('ghcr.io/o/private:1')).toMatch(/registry ghcr\.io refused an anonymous pull .* none are configured for ghcr\.io: add it under `registries:` in the manifest or run `docker login ghcr\.io`/);
  });

  it('unknown image or tag: no retry, says so', async () => {
    const e = new FakeEngine((ref) => {
      throw manifestUnknown(ref);
    });
    const out = await pullImages(fleet([['aa', `${REG}/nosuch:1`]]), e.asEngine(), memoryLog().log, noWait);
    expect(e.pulls).toHaveLength(1);
    expect(out.failed.get(`${REG}/nosuch:1`)).toMatch(/image not found on 127\.0\.0\.1:5000 — unknown repository or tag/);
  });

  it('never: absent fails without a pull, present is used as is', async () => {
    const e = new FakeEngine();
    e.images.set('here:1', 'sha256:here');
    const out = await pullImages(fleet([['aa', 'gone:1', 'never'], ['bb', 'here:1', 'never']]), e.asEngine(), memoryLog().log, noWait);
    expect(e.pulls).toHaveLength(0);
    expect(out.failed.get('gone:1')).toMatch(/not present locally and pull_policy is never/);
    expect(out.failed.has('here:1')).toBe(false);
  });

  it('always pulls present images and reports a changed image ID', async () => {
    const e = new FakeEngine(() => 'sha256:v2');
    e.images.set('app:1', 'sha256:v1');
    e.images.set('keep:1', 'sha256:k');
    const { log, lines } = memoryLog();
    const out = await pullImages(fleet([['aa', 'app:1', 'always'], ['bb', 'keep:1']]), e.asEngine(), log, noWait);
    expect(e.pulls.map((p) => p.ref)).toEqual(['app:1']);
    expect(out.images.find((i) => i.ref === 'app:1')).toMatchObject({ previousId: 'sha256:v1', imageId: 'sha256:v2', result: 'pulled' });
    expect(lines.find((l) => l.event === 'pull' && l.result === 'pulled')).toMatchObject({ changed: true, previousImageId: 'sha256:v1', imageId: 'sha256:v2' });
  });

  it('digest-pinned images are pulled only when absent, even with always', async () => {
    const pinned = `app@sha256:${'1'.repeat(64)}`;
    const e = new FakeEngine();
    e.images.set(pinned, 'sha256:pinned');
    await pullImages(fleet([['aa', pinned, 'always']]), e.asEngine(), memoryLog().log, noWait);
    expect(e.pulls).toHaveLength(0);
    e.images.clear();
    await pullImages(fleet([['aa', pinned, 'always']]), e.asEngine(), memoryLog().log, noWait);
    expect(e.pulls).toHaveLength(1);
  });

  it('every_<d>: pulls when stale per the state dir, records the time, skips while fresh', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dom0-pull-every-'));
    const e = new FakeEngine();
    e.images.set('app:1', 'sha256:v1');
    const m = fleet([['aa', 'app:1', { everyMs: 3_600_000 }]]);
    let now = Date.parse('2025-01-01T00:00:00Z');
    const opts = { ...noWait, stateDir, now: () => now };
    await pullImages(m, e.asEngine(), memoryLog().log, opts); // no record: stale
    expect(e.pulls).toHaveLength(1);
    now += 30 * 60_000;
    await pullImages(m, e.asEngine(), memoryLog().log, opts); // 30 min later: fresh
    expect(e.pulls).toHaveLength(1);
    now += 31 * 60_000;
    await pullImages(m, e.asEngine(), memoryLog().log, opts); // 61 min: stale
    expect(e.pulls).toHaveLength(2);
  });

  it('every_<d> with an unwritable state dir: pulls every time, logs that once', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dom0-pull-ro-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(base, 'file'), '');
    const e = new FakeEngine();
    e.images.set('app:1', 'sha256:v1');
    const m = fleet([['aa', 'app:1', { everyMs: 86_400_000 }]]);
    const { log, lines } = memoryLog();
    for (let i = 0; i < 3; i++) await pullImages(m, e.asEngine(), log, { ...noWait, stateDir: join(base, 'file', 'state') });
    expect(e.pulls).toHaveLength(3);
    expect(lines.filter((l) => l.event === 'pull-state-unwritable')).toHaveLength(1);
  });

  it('without every_<d> policies the state dir is never touched (no warning for a non-root `dom0 apply`)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dom0-pull-untouched-'));
    const { writeFileSync, existsSync } = await import('node:fs');
    writeFileSync(join(base, 'file'), '');
    const e = new FakeEngine();
    e.images.set('app:1', 'sha256:v1');
    const { log, lines } = memoryLog();
    await pullImages(fleet([['aa', 'app:1', 'always'], ['bb', 'new:1']]), e.asEngine(), log, { ...noWait, stateDir: join(base, 'file', 'state') });
    expect(e.pulls).toHaveLength(2);
    expect(lines.filter((l) => l.event === 'pull-state-unwritable')).toHaveLength(0);
    const fresh = join(base, 'never-created');
    await pullImages(fleet([['aa', 'app:1', 'always']]), e.asEngine(), log, { ...noWait, stateDir: fresh });
    expect(existsSync(fresh)).toBe(false);
  });
});
