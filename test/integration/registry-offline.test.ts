// Offline-first: with the registry down, an image present locally is used (with a warning) and the
// fleet starts; an image absent locally fails only its entry and that entry's dependents.
// Uses a private registry instance (own port and storage) so stopping it disturbs no one else.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, cleanupFleet, containersOf, describeEngine } from '../support/engine.js';
import {
  applyWith,
  baseEnv,
  buildVariant,
  events,
  imageId,
  outcome,
  PrivateRegistry,
  pushImage,
  registerAuthSecrets,
  removeImage,
  workspace,
  registriesYaml,
} from '../support/registry.js';

const FLEET = 'dom0-reg-offline';

describeEngine('registry down (offline-first)', () => {
  let reg: PrivateRegistry;
  let ref: string;
  let builtId: string;
  let absent: ReturnType<typeof workspace> | undefined;

  beforeAll(async () => {
    reg = new PrivateRegistry(5002, 'offline');
    reg.start();
    registerAuthSecrets(reg.user, reg.password, reg.addr);
    await cleanupFleet(FLEET);
    ref = `${reg.addr}/dom0-test/reg-offline:v1`;
    builtId = await buildVariant('dom0-reg-build/offline:v1');
    await pushImage('dom0-reg-build/offline:v1', ref, reg);
  });

  afterAll(async () => {
    await cleanupFleet(FLEET);
    await removeImage(builtId).catch(() => undefined);
    // a private instance: stopped again (beforeAll starts it for the next run)
    reg.stop();
  });

  function manifest(policy: string): string {
    return [
      `name: ${FLEET}`,
      ...registriesYaml(reg.addr, reg.user),
      'services:',
      '  reg-off-app:',
      `    image: ${ref}`,
      `    pull_policy: ${policy}`,
      '    command: ["sleep", "3600"]',
      '  reg-off-dependent:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "3600"]',
      '    depends_on: [reg-off-app]',
      '  reg-off-unrelated:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "3600"]',
    ].join('\n');
  }

  it('image present locally: the pull is retried, then the local image is used with a warning; the fleet starts', async () => {
    expect(await imageId(ref)).toBe(builtId); // tagged by the push
    reg.stop();
    expect(reg.running()).toBe(false);
    const ws = workspace('reg-offline-present');
    const file = ws.write(manifest('always'));
    const started = Date.now();
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password }));
    expect(r.json.converged).toBe(true);
    // default retries: 4 attempts, backoff 1 s doubling with jitter (≥ 0.5+1+2 s)
    const retries = events(r.stderr, 'pull-retry').filter((l) => l.image === ref);
    expect(retries.map((l) => l.attempt)).toEqual([1, 2, 3]);
    expect(Date.now() - started).toBeGreaterThan(3500);
    const warn = events(r.stderr, 'pull-fallback');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ level: 40, image: ref, registry: reg.addr, kind: 'transient', attempts: 4 });
    expect(String(warn[0]!.msg)).toMatch(/connection refused.*using the local image/);
    const fleet = await containersOf(FLEET);
    expect(fleet.filter((c) => c.running).map((c) => c.name)).toEqual(['reg-off-app', 'reg-off-dependent', 'reg-off-unrelated']);
    expect(fleet.find((c) => c.name === 'reg-off-app')!.inspect.Image).toBe(builtId);
  });

  it('image absent: only that entry and its dependents fail; everything else starts; exit 1', async () => {
    await cleanupFleet(FLEET);
    await removeImage(builtId);
    expect(await imageId(ref)).toBeUndefined();
    expect(reg.running()).toBe(false);
    const ws = (absent = workspace('reg-offline-absent'));
    const file = ws.write(manifest('missing'));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password, DOM0_PULL_ATTEMPTS: '2', DOM0_PULL_BACKOFF: '200ms' }), 1);
    expect(outcome(r, 'reg-off-app').status).toBe('failed');
    expect(outcome(r, 'reg-off-app').error).toMatch(new RegExp(`failed after 2 attempts: registry ${reg.addr.replace(/\./g, '\\.')} unreachable or failing \\(.*connection refused`));
    expect(outcome(r, 'reg-off-dependent').status).toBe('skipped');
    expect(outcome(r, 'reg-off-unrelated').status).toBe('ok');
    expect(events(r.stderr, 'pull-retry')).toHaveLength(1);
    const running = (await containersOf(FLEET)).filter((c) => c.running).map((c) => c.name);
    expect(running).toEqual(['reg-off-unrelated']);
  });

  it('registry back: the next apply pulls and the fleet converges', async () => {
    reg.start();
    // The next apply of the same manifest (a fleet applied from another path would be another manifest's).
    const ws = absent ?? workspace('reg-offline-back');
    const file = ws.write(manifest('missing'));
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password }));
    expect(r.json.converged).toBe(true);
    expect(await imageId(ref)).toBe(builtId);
  });
});
