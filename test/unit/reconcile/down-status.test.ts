// down and status against the in-memory engine.
import { describe, expect, it } from 'vitest';
import { apply, type ApplyOptions } from '../../../src/reconcile/apply.js';
import { down } from '../../../src/reconcile/down.js';
import { status } from '../../../src/reconcile/status.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { job, manifest, svc, vol } from './build.js';

const opts: ApplyOptions = { pull: { stateDir: null, env: {} }, sleep: async () => undefined };

async function fleet() {
  const e = new MemoryEngine();
  e.addImage('busybox:latest');
  e.onStart = (c) => (c.name === 'init' ? { exit: 0 } : undefined);
  const m = manifest({
    volumes: [vol('home')],
    jobs: [job('init')],
    services: [svc('db'), svc('web', { dependsOn: [{ name: 'db', condition: 'service_started', restart: false, required: true }] })],
  });
  const r = await apply(m, e, opts);
  expect(r.converged).toBe(true);
  return { e, m };
}

describe('status (in-memory engine)', () => {
  it('in sync after apply; drifted, missing, unmanaged and orphan as the engine changes', async () => {
    const { e, m } = await fleet();
    expect((await status(m, e)).map((r) => [r.name, r.sync, r.state])).toEqual([
      ['home', 'in sync', 'created'],
      ['init', 'in sync', 'exited'],
      ['db', 'in sync', 'running'],
      ['web', 'in sync', 'running'],
    ]);
    await e.removeContainer(e.byName('db')!.id, { force: true });
    await e.createContainer({ name: 'db', body: { Image: 'busybox:latest' }, extraNetworks: [] });
    // "extra" is created by an apply, then leaves the manifest: an orphan.
    await apply(manifest({ volumes: m.volumeContainers, jobs: m.jobs, services: [...m.services, svc('extra')] }), e, opts);
    const edited = manifest({ volumes: m.volumeContainers, jobs: m.jobs, services: [svc('db'), svc('web', { environment: { X: '1' } })] });
    const rows = Object.fromEntries((await status(edited, e)).map((r) => [r.name, r.sync]));
    expect(rows).toEqual({ home: 'in sync', init: 'in sync', db: 'unmanaged', web: 'drifted', extra: 'orphan' });
    await e.removeContainer(e.byName('web')!.id, { force: true });
    expect((await status(edited, e)).find((r) => r.name === 'web')!.sync).toBe('missing');
  });
});

describe('down (in-memory engine)', () => {
  it('removes services and jobs, dependents first; keeps the volume container and the volumes', async () => {
    const { e, m } = await fleet();
    const r = await down(m, e);
    expect(r.removed.sort()).toEqual(['db', 'init', 'web']);
    expect(r.kept).toEqual(['home']);
    const removals = e.log.filter((l) => l.startsWith('removeContainer')).map((l) => [...e.events_].find((ev) => ev.action === 'destroy' && l.endsWith(ev.id))!.attributes.name);
    expect(removals.indexOf('web')).toBeLessThan(removals.indexOf('db'));
    expect([...e.containers.values()].map((c) => c.name)).toEqual(['home']);
    expect(e.networks.size).toBe(0);
  });

  it('with volumes, removes the volume container too; never a container of another fleet or one made by hand', async () => {
    const { e, m } = await fleet();
    await e.createContainer({ name: 'stranger', body: { Image: 'busybox:latest' }, extraNetworks: [] });
    await e.createContainer({ name: 'other', body: { Image: 'busybox:latest', Labels: { 'io.dom0.fleet': 'other', 'io.dom0.kind': 'service', 'io.dom0.name': 'web' } }, extraNetworks: [] });
    const r = await down(m, e, { volumes: true });
    expect(r.removed.sort()).toEqual(['db', 'home', 'init', 'web']);
    expect([...e.containers.values()].map((c) => c.name).sort()).toEqual(['other', 'stranger']);
  });

  it('a failing removal fails down, and the next down finishes', async () => {
    const { e, m } = await fleet();
    e.failOn('removeContainer', { times: 1, when: ([id]) => id === e.byName('db')!.id });
    await expect(down(m, e)).rejects.toThrow(/removeContainer failed/);
    expect(e.byName('db')).toBeDefined();
    const r = await down(m, e);
    expect(r.removed).toContain('db');
    expect([...e.containers.values()].map((c) => c.name)).toEqual(['home']);
  });
});
