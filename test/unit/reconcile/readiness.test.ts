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

describe('Readiness: state from events, inspects only when needed', () => {
  const reqWith = (name: string, healthcheck: boolean) => req(name, healthcheck);
  type Case = [
    string,
    { healthcheck: boolean; declared: boolean | undefined; condition: 'service_started' | 'service_healthy'; after?: (e: MemoryEngine) => void; between?: (e: MemoryEngine) => Promise<void> },
    WaitFailure | 'ok',
    number,
  ];
  it.each<Case>([
    ['a reported start is running: no inspect', { healthcheck: false, declared: false, condition: 'service_started' }, 'ok', 0],
    ['healthy from the health event after a reported start: no inspect', { healthcheck: true, declared: true, condition: 'service_healthy', after: (e) => e.setHealth('c', 'healthy') }, 'ok', 0],
    ['unhealthy from the health event', { healthcheck: true, declared: true, condition: 'service_healthy', after: (e) => e.setHealth('c', 'unhealthy') }, 'unhealthy', 0],
    // die and stop arrive together: the inspect begun on the first is asked again after the second
    ['a die after the reported start is read by an inspect', { healthcheck: true, declared: true, condition: 'service_healthy', after: (e) => void e.stopContainer('c') }, 'exited', 2],
    ['a die between the start call and its report: the report is not trusted', { healthcheck: false, declared: false, condition: 'service_started', between: (e) => e.stopContainer('c') }, 'exited', 1],
    ["the image's healthcheck (not declared): health needs one inspect", { healthcheck: true, declared: undefined, condition: 'service_healthy', after: (e) => e.setHealth('c', 'healthy') }, 'ok', 1],
  ])('%s', async (_n, c, expected, inspects) => {
    const { e, r } = await setup();
    const id = await e.createContainer(reqWith('c', c.healthcheck));
    const token = await r.beginStart('c', id);
    await e.startContainer(id);
    await c.between?.(e);
    r.started(token, c.declared);
    const w = r.wait({ entry: 'c', containerName: 'c', condition: c.condition, timeoutMs: 300 });
    setTimeout(() => c.after?.(e), 5);
    expect(await reasonOf(w)).toBe(expected);
    expect(r.inspects).toBe(inspects);
  });

  // The engine delivers events a moment after the call that caused them: the executor's own
  // create (or rename into place) often arrives after it began the start.
  it.each([
    ['its own create, delivered late, leaves a reported start trusted: no inspect', 'own', 0],
    ['another container created under the name meanwhile: the report is not trusted', 'other', 1],
  ] as const)('%s', async (_n, whose, inspects) => {
    const { e, r } = await setup();
    await r.beginStart('warm-up', 'none'); // the stream is open, as after the first start of an apply
    e.holdEvents = true;
    const id = await e.createContainer(req('c'));
    const token = await r.beginStart('c', id);
    await e.startContainer(id);
    r.started(token, false);
    if (whose === 'other') {
      // what the held create event would say had a container of another ID taken the name
      const created = e.heldEvents.find((x) => x.action === 'create')!;
      created.id = 'another';
    }
    e.releaseEvents();
    expect(await reasonOf(r.wait({ entry: 'c', containerName: 'c', condition: 'service_started', timeoutMs: 300 }))).toBe('ok');
    expect(r.inspects).toBe(inspects);
  });

  it('waits on one container share one inspect, and the events keep it current after', async () => {
    const { e, r } = await setup();
    await e.startContainer(await e.createContainer(req('a', true)));
    const waits = [1, 2, 3].map(() => r.wait({ entry: 'a', containerName: 'a', condition: 'service_healthy', timeoutMs: 1000 }));
    setTimeout(() => e.setHealth('a', 'healthy'), 5);
    expect(await Promise.all(waits.map(reasonOf))).toEqual(['ok', 'ok', 'ok']);
    expect(r.inspects).toBe(1);
    expect(await reasonOf(r.wait({ entry: 'a', containerName: 'a', condition: 'service_healthy', timeoutMs: 1000 }))).toBe('ok');
    expect(r.inspects).toBe(1);
  });

  it('an inspect answered across an event is asked again (its answer may predate the event)', async () => {
    const { e, r } = await setup();
    const id = await e.createContainer(req('a'));
    const inspect = e.inspectContainer.bind(e);
    let first = true;
    e.inspectContainer = async (n: string) => {
      const c = await inspect(n);
      if (first) {
        first = false;
        await e.startContainer(id); // the start event lands while the (created) answer is on its way
      }
      return c;
    };
    expect(await reasonOf(r.wait({ entry: 'a', containerName: 'a', condition: 'service_started', timeoutMs: 500 }))).toBe('ok');
    expect(r.inspects).toBe(2);
  });
});
