import { describe, expect, it } from 'vitest';
import { emptyPullOutcome, pullImages, type PullImagesOptions } from '../../../src/reconcile/pull.js';
import { PullRetry } from '../../../src/up/pull-retry.js';
import { manifest, svc } from '../reconcile/build.js';
import { FakeEngine, memoryLog, refused, unauthorized } from '../../support/pull-engine.js';

const REF = '127.0.0.1:5000/app:1';
const noWait: PullImagesOptions = { sleep: async () => undefined, stateDir: null, env: {}, retry: { attempts: 1 } };
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup(script: ConstructorParameters<typeof FakeEngine>[0]) {
  const e = new FakeEngine(script);
  const m = manifest({ services: [svc('app', { image: REF, pullPolicy: 'always' }), svc('other', { image: 'busybox:latest' })] });
  const fired: string[][] = [];
  const { log, lines } = memoryLog();
  const retry = new PullRetry({ engine: e.asEngine(), log, manifest: () => m, onNewImage: (refs) => fired.push(refs), pull: noWait, baseMs: 10, capMs: 40 });
  return { e, m, fired, log, lines, retry };
}

describe('PullRetry (dom0 up background pulls)', () => {
  it('keeps retrying a fallen-back image and calls back once a newer image ID arrives', async () => {
    let registryUp = false;
    const { e, m, fired, log, retry } = setup((ref) => {
      if (!registryUp) throw refused(ref);
      return 'sha256:new';
    });
    e.images.set(REF, 'sha256:old');
    e.images.set('busybox:latest', 'sha256:bb');
    const out = await pullImages(m, e.asEngine(), log, noWait);
    expect(out.fellBack).toEqual([REF]);
    retry.update(out);
    expect(retry.pending).toEqual([REF]);
    await until(() => e.pulls.length >= 4); // a few failed rounds
    expect(fired).toEqual([]);
    registryUp = true;
    await until(() => fired.length > 0);
    expect(fired).toEqual([[REF]]);
    expect(retry.pending).toEqual([]);
    retry.stop();
  });

  it('does not call back when the registry returns the image already there', async () => {
    let n = 0;
    const { e, fired, lines, retry } = setup((ref) => {
      if (++n < 3) throw refused(ref);
      return 'sha256:old';
    });
    e.images.set(REF, 'sha256:old');
    retry.track('127.0.0.1:5000/app:1', REF, [REF], 'sha256:old');
    await until(() => retry.pending.length === 0);
    expect(fired).toEqual([]);
    expect(lines.some((l) => l.event === 'pull-recovered' && l.changed === false)).toBe(true);
    retry.stop();
  });

  it('retries an absent image that failed transiently; any image arriving is news', async () => {
    let n = 0;
    const { e, fired, retry } = setup((ref) => {
      if (++n < 2) throw refused(ref);
      return 'sha256:first';
    });
    const out = emptyPullOutcome();
    out.images.push({ ref: REF, refs: [REF], result: 'failed', reason: '', transient: true });
    retry.update(out);
    await until(() => fired.length > 0);
    expect(e.images.get(REF)).toBe('sha256:first');
    retry.stop();
  });

  it('gives up on permanent failures (wrong credentials) and on images no longer in the manifest', async () => {
    const a = setup(() => {
      throw unauthorized();
    });
    a.retry.track('127.0.0.1:5000/app:1', REF, [REF], 'sha256:old');
    await until(() => a.retry.pending.length === 0);
    expect(a.lines.some((l) => l.event === 'pull-retry-abandoned')).toBe(true);

    const b = setup((ref) => {
      throw refused(ref);
    });
    b.retry.track('docker.io/library/gone:1', 'gone:1', ['gone:1'], undefined);
    await until(() => b.retry.pending.length === 0);
    expect(b.e.pulls).toHaveLength(0);
  });

  it('stops following an image once an apply pulled it, and stops everything on stop()', async () => {
    const { retry } = setup((ref) => {
      throw refused(ref);
    });
    const failed = emptyPullOutcome();
    failed.images.push({ ref: REF, refs: [REF], result: 'fallback', reason: '', transient: true, imageId: 'sha256:old' });
    retry.update(failed);
    expect(retry.pending).toEqual([REF]);
    const ok = emptyPullOutcome();
    ok.images.push({ ref: REF, refs: [REF], result: 'pulled', reason: '' });
    retry.update(ok);
    expect(retry.pending).toEqual([]);
    retry.update(failed);
    retry.stop();
    expect(retry.pending).toEqual([]);
    retry.update(failed);
    expect(retry.pending).toEqual([]);
  });
});
