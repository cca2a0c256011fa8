// `dom0 up` with the registry down at boot: the service starts on the old local image (fallback),
// the pull keeps being retried in the background, and once the registry is back with a new image
// under the same tag, the loop re-applies and recreates the service on the new image ID.
// Also PullRetry itself, in-process against the real engine and registry.
// Uses a private registry instance (own port and storage) so stopping it disturbs no one else.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { DockerEngine } from '../../src/engine/docker-engine.js';
import type { Manifest } from '../../src/manifest/types.js';
import { pullImages } from '../../src/reconcile/pull.js';
import { PullRetry } from '../../src/up/pull-retry.js';
import { memoryLog } from '../support/pull-engine.js';
import { manifest as buildManifest, svc } from '../unit/reconcile/build.js';
import {
  cleanupFleet,
  collectOutput,
  containersOf,
  describeEngine,
  spawnDom0,
  TEST_DOCKER_HOST,
  waitForExit,
  waitForOutput,
} from '../support/engine.js';
import {
  baseEnv,
  buildVariant,
  expectNoSecrets,
  imageId,
  keepOutput,
  logLines,
  PrivateRegistry,
  pushImage,
  registerAuthSecrets,
  removeImage,
  sleep,
  tagLocal,
  workspace,
  registriesYaml,
} from '../support/registry.js';

const FLEET = 'dom0-reg-up';

describeEngine('dom0 up: background re-pull after the registry comes back', () => {
  let reg: PrivateRegistry;
  let ref: string;
  let v1: string;
  let v2: string;

  beforeAll(async () => {
    reg = new PrivateRegistry(5003, 'uploop');
    reg.start();
    registerAuthSecrets(reg.user, reg.password, reg.addr);
    await cleanupFleet(FLEET);
    ref = `${reg.addr}/dom0-test/reg-up:latest`;
    v1 = await buildVariant('dom0-reg-build/up:v1');
    v2 = await buildVariant('dom0-reg-build/up:v2');
    expect(v2).not.toBe(v1);
  });

  afterAll(async () => {
    await cleanupFleet(FLEET);
    for (const id of [v1, v2]) await removeImage(id).catch(() => undefined);
    reg.stop();
  });

  /** Registry holds v2 under `ref`; locally `ref` is v1; then the registry goes down. */
  async function newVersionPushedThenRegistryDown(): Promise<void> {
    reg.start();
    await pushImage(v2, ref, reg);
    await tagLocal(v1, ref);
    expect(await imageId(ref)).toBe(v1);
    reg.stop();
    expect(reg.running()).toBe(false);
  }

  it('PullRetry: retries in the background and calls back with the new image once the registry is back', async () => {
    await newVersionPushedThenRegistryDown();
    const engine = new DockerEngine({ host: TEST_DOCKER_HOST });
    const m: Manifest = buildManifest({ services: [svc('reg-up-inproc', { image: ref, pullPolicy: 'always' })] });
    m.registries = { [reg.addr]: { host: reg.addr, username: reg.user, password: reg.password } };
    const { log, text } = memoryLog();
    const pull = { stateDir: null, env: {}, retry: { attempts: 1 } } as const;
    const out = await pullImages(m, engine, log, pull);
    expect(out.fellBack).toEqual([ref]);
    const fired: string[][] = [];
    const retry = new PullRetry({ engine, log, manifest: () => m, onNewImage: (refs) => fired.push(refs), pull, baseMs: 300, capMs: 1000 });
    retry.update(out);
    await sleep(1500);
    expect(fired).toEqual([]);
    reg.start();
    const deadline = Date.now() + 20_000;
    while (fired.length === 0 && Date.now() < deadline) await sleep(100);
    retry.stop();
    expect(fired).toEqual([[ref]]);
    expect(await imageId(ref)).toBe(v2);
    expectNoSecrets(text(), 'in-process logs');
  });

  it('dom0 up: falls back to the old image, then recreates the service on the new one when the registry returns', async () => {
    await cleanupFleet(FLEET);
    await newVersionPushedThenRegistryDown();
    const ws = workspace('reg-up');
    const file = ws.write(
      [
        `name: ${FLEET}`,
        ...registriesYaml(reg.addr, reg.user),
        'services:',
        '  reg-up-app:',
        `    image: ${ref}`,
        '    pull_policy: always',
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
        '  reg-up-other:',
        '    image: busybox:latest',
        '    command: ["sleep", "3600"]',
        '    stop_grace_period: 1s',
      ].join('\n'),
    );
    const child = spawnDom0(['up', '-f', file, '--state-dir', ws.stateDir], {
      env: baseEnv(ws.stateDir, {
        DOM0_TEST_REG_PW: reg.password,
        DOM0_PULL_ATTEMPTS: '2',
        DOM0_PULL_BACKOFF: '200ms',
        DOM0_PULL_BACKGROUND_BACKOFF: '1s',
        DOM0_PULL_BACKGROUND_BACKOFF_MAX: '3s',
      }),
    });
    const out = collectOutput(child);
    try {
      // at boot a local image is not pulled first: it starts the service and is re-pulled in the background
      await waitForOutput(child, out, /"event":"pull-deferred"/, 60_000);
      await waitForOutput(child, out, /"event":"apply-finished"/, 60_000);
      // The loop hands the apply's pull outcome to PullRetry (src/up/pull-retry.ts), which says so.
      await waitForOutput(child, out, /"event":"pull-retry-scheduled"/, 15_000).catch(() => {
        throw new Error(
          'dom0 up did not schedule a background re-pull of the image that fell back: src/up/loop.ts must create a PullRetry ' +
            'and call pullRetry.update(result.pulls) after each apply (and ApplyResult must carry `pulls`)\n' +
            out.all,
        );
      });
      const before = Object.fromEntries((await containersOf(FLEET)).map((c) => [c.name, c]));
      expect(before['reg-up-app']?.running).toBe(true);
      expect(before['reg-up-app']?.inspect.Image).toBe(v1);

      reg.start();
      const deadline = Date.now() + 60_000;
      let app = before['reg-up-app'];
      while (Date.now() < deadline) {
        app = (await containersOf(FLEET)).find((c) => c.name === 'reg-up-app');
        if (app?.running && app.inspect.Image === v2) break;
        await sleep(500);
      }
      expect(app?.inspect.Image, `service not recreated on the new image; dom0 up said:\n${out.all}`).toBe(v2);
      expect(app?.running).toBe(true);
      const after = Object.fromEntries((await containersOf(FLEET)).map((c) => [c.name, c]));
      expect(after['reg-up-other']!.id).toBe(before['reg-up-other']!.id);
      const lines = logLines(out.stderr);
      expect(lines.some((l) => l.event === 'pull-recovered' && l.image === ref)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
      keepOutput('dom0 up (registry-up)', out.all);
      expectNoSecrets(out.all, 'dom0 up output');
    }
  });
});
