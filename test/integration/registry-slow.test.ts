// A slow and a stalling registry, through a TCP proxy in front of the test registry: the stall is
// detected (short stall timeout), the pull retried and finished, and progress is reported.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanupFleet, containersOf, describeEngine } from '../support/engine.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import {
  applyWith,
  baseEnv,
  buildVariant,
  ensureRegistry,
  events,
  imageId,
  pushImage,
  registerAuthSecrets,
  removeImage,
  workspace,
  type RegistryInfo,
  registriesYaml,
} from '../support/registry.js';

const FLEET = 'dom0-reg-slow';
const RANDOM_BYTES = 6_000_000;

describeEngine('slow and stalling registry', () => {
  let reg: RegistryInfo;
  let proxy: TcpProxy;
  let builtId: string;
  let ref: string;

  beforeAll(async () => {
    reg = ensureRegistry();
    await cleanupFleet(FLEET);
    builtId = await buildVariant('dom0-reg-build/big:v1', { randomBytes: RANDOM_BYTES });
    await pushImage('dom0-reg-build/big:v1', `${reg.addr}/dom0-test/reg-big:v1`, reg);
    const [host, port] = reg.addr.split(':');
    proxy = await TcpProxy.start({ target: { host: host!, port: Number(port) } });
    ref = `${proxy.address}/dom0-test/reg-big:v1`;
    registerAuthSecrets(reg.user, reg.password, proxy.address);
  });

  afterAll(async () => {
    await proxy?.close();
    await cleanupFleet(FLEET);
    await removeImage(builtId).catch(() => undefined);
  });

  function manifestFor(): string {
    return [
      `name: ${FLEET}`,
      ...registriesYaml(proxy.address, reg.user),
      'services:',
      '  reg-slow-app:',
      `    image: ${ref}`,
      '    command: ["sleep", "3600"]',
      '    stop_grace_period: 1s',
    ].join('\n');
  }

  it('detects a stalled download, retries it, finishes, and reports progress on the way', async () => {
    await removeImage(builtId); // every tag: the big layer must come over the wire
    expect(await imageId(ref)).toBeUndefined();
    proxy.bytesPerSecond = 1024 * 1024; // slow: ~6 s for the layer
    proxy.freezeAfter(1_500_000, { connections: 1 }); // and the first download freezes part-way
    const ws = workspace('reg-slow');
    const file = ws.write(manifestFor());
    const started = Date.now();
    const r = await applyWith(
      file,
      baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password, DOM0_PULL_STALL_TIMEOUT: '3s', DOM0_PULL_PROGRESS_INTERVAL: '1s' }),
    );
    const took = Date.now() - started;
    expect(r.json.converged).toBe(true);
    expect(proxy.frozenConnections).toBe(1);

    const retries = events(r.stderr, 'pull-retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ image: ref, attempt: 1 });
    expect(String(retries[0]!.error)).toMatch(/stalled: no progress for 3s/);

    const progress = events(r.stderr, 'pull-progress').filter((l) => l.image === ref);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const last = progress[progress.length - 1]!;
    expect(last.bytesTotal as number).toBeGreaterThan(RANDOM_BYTES * 0.9);
    // rate-limited: at most one line per second per image
    const times = progress.map((l) => Date.parse(String(l.time)));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);

    const summary = events(r.stderr, 'pull').filter((l) => l.image === ref);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ result: 'pulled', fromCache: false, attempts: 2, imageId: builtId });
    expect(summary[0]!.bytes as number).toBeGreaterThan(RANDOM_BYTES * 0.9);
    expect(String(summary[0]!.msg)).toMatch(/^pulled .*reg-big:v1: \d+(\.\d)? MB in \d+\.\ds, 1 of 2 layers already present after 2 attempts$/);
    // stall (≥ 3 s) + a full slow download (≥ 5 s)
    expect(took).toBeGreaterThan(8000);

    const c = (await containersOf(FLEET)).find((x) => x.name === 'reg-slow-app');
    expect(c?.running).toBe(true);
    expect(c?.inspect.Image).toBe(builtId);
  });

  it('a slow registry that keeps making progress is never taken for stalled', async () => {
    await cleanupFleet(FLEET);
    await removeImage(builtId);
    proxy.unfreeze();
    proxy.bytesPerSecond = 1024 * 1024;
    const ws = workspace('reg-slow-2');
    const file = ws.write(manifestFor());
    const r = await applyWith(file, baseEnv(ws.stateDir, { DOM0_TEST_REG_PW: reg.password, DOM0_PULL_STALL_TIMEOUT: '3s', DOM0_PULL_PROGRESS_INTERVAL: '2s' }));
    expect(r.json.converged).toBe(true);
    expect(events(r.stderr, 'pull-retry')).toHaveLength(0);
    expect(events(r.stderr, 'pull')[0]).toMatchObject({ image: ref, result: 'pulled', attempts: 1 });
    expect(events(r.stderr, 'pull-progress').length).toBeGreaterThanOrEqual(1);
  });
});
