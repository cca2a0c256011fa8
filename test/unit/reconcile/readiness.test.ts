// Readiness waits against the in-memory engine: each way a wait ends has its typed reason.
import { afterEach, describe, expect, it } from 'vitest';
import { Readiness, WaitError, type WaitFailure } from '../../../src/reconcile/readiness.js';
import { MemoryEngine } from '../../support/memory-engine.js';

const req = (name: string, healthcheck = false) => ({
  name,
  body: { Image: 'img', Labels: { 'io.dom0.fleet': 'f' }, ...(healthcheck ? { Healthcheck: { Test: ['CMD', 'true'] } } : {}) },
  extraNetworks: [],
});

let open: Readiness[] = [];
afterEach(() => {
  for (const r of open) r.close();
  open = [];
});

async function setup() {
  const e = new MemoryEngine();
  e.addImage('img');
  const r = new Readiness(e, 'f');
  open.push(r);
  return { e, r };
}

async function reasonOf(p: Promise<unknown>): Promise<WaitFailure | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(WaitError);
    return (err as WaitError).reason;
  }
}

describe('Readiness.wait', () => {
  it.each<[string, (e: MemoryEngine) => Promise<void>, 'service_started' | 'service_healthy' | 'service_completed_successfully', boolean, WaitFailure | 'ok']>([
    ['job exits 0', async (e) => void (e.onStart = () => ({ exit: 0 })), 'service_completed_successfully', false, 'ok'],
    ['job exits 2', async (e) => void (e.onStart = () => ({ exit: 2 })), 'service_completed_successfully', false, 'exited'],
    ['job runs on past the timeout', async () => undefined, 'service_completed_successfully', false, 'timeout'],
    ['service started', async () => undefined, 'service_started', false, 'ok'],
    ['service exits before it counts as started', async (e) => void (e.onStart = () => ({ exit: 1, afterMs: 0 })), 'service_healthy', true, 'exited'],
    ['no healthcheck', async () => undefined, 'service_healthy', false, 'unhealthy'],
  ])('%s → %s', async (_n, script, condition, healthcheck, expected) => {
    const { e, r } = await setup();
    await script(e);
    const id = await e.createContainer(req('c', healthcheck));
    await e.startContainer(id);
    expect(await reasonOf(r.wait({ entry: 'c', kind: 'job', containerName: 'c', condition, timeoutMs: 40 }))).toBe(expected);
  });

  it('becomes healthy, or fails as unhealthy, on the health events', async () => {
    const { e, r } = await setup();
    await e.startContainer(await e.createContainer(req('a', true)));
    await e.startContainer(await e.createContainer(req('b', true)));
    const a = r.wait({ entry: 'a', containerName: 'a', condition: 'service_healthy', timeoutMs: 1000 });
    const b = r.wait({ entry: 'b', containerName: 'b', condition: 'service_healthy', timeoutMs: 1000 });
    setTimeout(() => {
      e.setHealth('a', 'healthy');
      e.setHealth('b', 'unhealthy');
    }, 5);
    expect(await reasonOf(a)).toBe('ok');
    expect(await reasonOf(b)).toBe('unhealthy');
  });

  it('a container that does not exist is gone', async () => {
    const { r } = await setup();
    expect(await reasonOf(r.wait({ entry: 'x', containerName: 'x', condition: 'service_started', timeoutMs: 1000 }))).toBe('gone');
  });
});
