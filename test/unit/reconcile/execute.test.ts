// apply / execute against the in-memory engine: what it does, and its failure paths, without Docker.
import { describe, expect, it } from 'vitest';
import { apply, type ApplyOptions } from '../../../src/reconcile/apply.js';
import { execute } from '../../../src/reconcile/execute.js';
import { replacementName } from '../../../src/reconcile/labels.js';
import { observe } from '../../../src/reconcile/observe.js';
import { plan } from '../../../src/reconcile/plan.js';
import type { Manifest } from '../../../src/manifest/types.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { job, manifest, svc, vol } from './build.js';

const dep = (name: string, condition: 'service_started' | 'service_healthy' | 'service_completed_successfully') => ({
  name,
  condition,
  restart: false,
  required: true,
});

function engineWith(...refs: string[]): MemoryEngine {
  const e = new MemoryEngine();
  for (const r of refs.length ? refs : ['busybox:latest']) e.addImage(r);
  return e;
}

const opts = (over: ApplyOptions = {}): ApplyOptions => ({ pull: { stateDir: null, env: {} }, sleep: async () => undefined, ...over });

async function planOf(m: Manifest, e: MemoryEngine) {
  return plan(m, await observe(e, m));
}

const statusOf = (r: Awaited<ReturnType<typeof apply>>) => Object.fromEntries(r.outcomes.map((o) => [o.name, `${o.action}:${o.status}`]));

describe('execute (in-memory engine)', () => {
  it('creates a fleet from nothing, and the next plan keeps everything', async () => {
    const e = engineWith();
    const m = manifest({ volumes: [vol('home')], jobs: [job('init')], services: [svc('web', { dependsOn: [dep('init', 'service_completed_successfully')] })] });
    e.onStart = (c) => (c.name === 'init' ? { exit: 0 } : undefined);
    const r = await apply(m, e, opts());
    expect(statusOf(r)).toEqual({ home: 'create:ok', init: 'run:ok', web: 'create:ok' });
    expect(r.converged).toBe(true);
    expect([...e.networks.values()].map((n) => n.name)).toEqual(['fleet']);
    expect(e.byName('web')?.state).toBe('running');
    expect(e.byName('init')?.state).toBe('exited');
    expect(e.byName('home')?.state).toBe('created');
    expect((await planOf(m, e)).actions.map((a) => a.action)).toEqual(['keep', 'done', 'keep']);
  });

  it('a failing create mid-recreate leaves the old container running; the next apply finishes it', async () => {
    const e = engineWith();
    await apply(manifest({ services: [svc('web', { environment: { V: '1' } })] }), e, opts());
    const old = e.byName('web')!;
    const m2 = manifest({ services: [svc('web', { environment: { V: '2' } })] });
    e.failOn('createContainer', { times: 1 });
    const r = await apply(m2, e, opts());
    expect(statusOf(r)).toEqual({ web: 'recreate:failed' });
    expect(r.outcomes[0]!.error).toMatch(/createContainer failed/);
    expect(e.byName('web')).toBe(old);
    expect(old.state).toBe('running');
    expect(e.byName(replacementName('web'))).toBeUndefined();

    const again = await apply(m2, e, opts());
    expect(statusOf(again)).toEqual({ web: 'recreate:ok' });
    expect(e.byName('web')!.id).not.toBe(old.id);
    expect(e.containers.has(old.id)).toBe(false);
    expect((await planOf(m2, e)).actions.map((a) => a.action)).toEqual(['keep']);
  });

  it('a failing rename after the old container is gone leaves the replacement; the next plan renames it into place', async () => {
    const e = engineWith();
    await apply(manifest({ services: [svc('web', { environment: { V: '1' } })] }), e, opts());
    const m2 = manifest({ services: [svc('web', { environment: { V: '2' } })] });
    e.failOn('renameContainer', { times: 1 });
    const r = await apply(m2, e, opts());
    expect(statusOf(r)).toEqual({ web: 'recreate:failed' });
    expect(e.byName('web')).toBeUndefined();
    const replacement = e.byName(replacementName('web'))!;
    expect(replacement).toBeDefined();

    const p = await planOf(m2, e);
    expect(p.actions[0]!.reasons.join(' ')).toMatch(/finishes an interrupted recreate/);
    const again = await apply(m2, e, opts());
    expect(again.converged).toBe(true);
    expect(e.byName('web')!.id).toBe(replacement.id);
    expect(e.byName('web')!.state).toBe('running');
  });

  it('a job exiting non-zero is run again under restart: on-failure:N, and converges when a retry exits 0', async () => {
    const e = engineWith();
    const m = manifest({ jobs: [job('migrate', { restart: { name: 'on-failure', maxRetries: 2 } })] });
    e.onStart = (c) => ({ exit: c.starts < 3 ? 1 : 0 });
    const r = await apply(m, e, opts());
    expect(statusOf(r)).toEqual({ migrate: 'run:ok' });
    expect(e.byName('migrate')!.starts).toBe(3);
  });

  it('a job that keeps failing fails after its retries; its dependents are skipped', async () => {
    const e = engineWith();
    const m = manifest({
      jobs: [job('migrate', { restart: { name: 'on-failure', maxRetries: 1 } })],
      services: [svc('web', { dependsOn: [dep('migrate', 'service_completed_successfully')] })],
    });
    e.onStart = (c) => (c.name === 'migrate' ? { exit: 3 } : undefined);
    const r = await apply(m, e, opts());
    expect(statusOf(r)).toEqual({ migrate: 'run:failed', web: 'create:skipped' });
    expect(r.outcomes[0]!.error).toMatch(/exited with code 3/);
    expect(e.byName('migrate')!.starts).toBe(2);
    expect(e.byName('web')).toBeUndefined();
  });

  it('a job without restart: on-failure is not run again', async () => {
    const e = engineWith();
    const m = manifest({ jobs: [job('once')] });
    e.onStart = () => ({ exit: 1 });
    const r = await apply(m, e, opts());
    expect(statusOf(r)).toEqual({ once: 'run:failed' });
    expect(e.byName('once')!.starts).toBe(1);
  });

  it('a wait that times out fails the job and skips its dependents (no retry for a timeout)', async () => {
    const e = engineWith();
    const m = manifest({
      jobs: [job('slow', { restart: { name: 'on-failure', maxRetries: 2 } })],
      services: [svc('web', { dependsOn: [dep('slow', 'service_completed_successfully')] })],
    });
    const r = await apply(m, e, opts({ waitTimeoutMs: 30 }));
    expect(statusOf(r)).toEqual({ slow: 'run:failed', web: 'create:skipped' });
    expect(r.outcomes[0]!.error).toMatch(/timed out/);
    expect(e.byName('slow')!.starts).toBe(1);
  });

  it('a service that is not ready in time skips its dependents', async () => {
    const e = engineWith();
    const m = manifest({
      services: [svc('db', { healthcheck: { test: ['CMD', 'true'] } } as never), svc('web', { dependsOn: [dep('db', 'service_healthy')] })],
    });
    const r = await apply(m, e, opts({ waitTimeoutMs: 30 }));
    expect(statusOf(r)).toEqual({ db: 'create:ok', web: 'create:skipped' });
    expect(r.outcomes[1]!.error).toMatch(/db/);
  });

  it('removes an orphan this manifest made, and keeps the rest running', async () => {
    const e = engineWith();
    await apply(manifest({ services: [svc('web'), svc('old')] }), e, opts());
    const r = await apply(manifest({ services: [svc('web')] }), e, opts());
    expect(statusOf(r)).toEqual({ web: 'keep:ok', old: 'remove:ok' });
    expect(e.byName('old')).toBeUndefined();
    expect(e.byName('web')!.state).toBe('running');
  });

  it('starts a stopped service, and restarts a dependent bound to a recreated one', async () => {
    const e = engineWith();
    const m1 = manifest({ services: [svc('db', { environment: { V: '1' } }), svc('web', { links: [{ name: 'db', alias: 'db' }], dependsOn: [{ ...dep('db', 'service_started'), implicit: 'links' as const }] })] });
    await apply(m1, e, opts());
    await e.stopContainer(e.byName('web')!.id);
    const m2 = manifest({ services: [svc('db', { environment: { V: '2' } }), m1.services[1]!] });
    const r = await apply(m2, e, opts());
    expect(statusOf(r)).toEqual({ db: 'recreate:ok', web: 'start:ok' });
    await apply(manifest({ services: [svc('db', { environment: { V: '3' } }), m1.services[1]!] }), e, opts()).then((x) =>
      expect(statusOf(x)).toEqual({ db: 'recreate:ok', web: 'restart:ok' }),
    );
  });

  it('carries out a frozen plan without writing into it; the container IDs come back in the outcomes', async () => {
    const e = engineWith();
    const m = manifest({ volumes: [vol('home')], services: [svc('web', { environment: { V: '1' } })] });
    await apply(m, e, opts());
    const m2 = manifest({ volumes: [vol('home')], services: [svc('web', { environment: { V: '2' } })] });
    const p = deepFreeze(await planOf(m2, e));
    const outcomes = await execute(m2, p, e);
    expect(outcomes.map((o) => `${o.name}:${o.action}:${o.status}`)).toEqual(['home:keep:ok', 'web:recreate:ok']);
    expect(outcomes[1]!.containerId).toBe(e.byName('web')!.id);
    expect(p.actions[1]!.containerId).not.toBe(e.byName('web')!.id);
  });

  it('recreates a stopped container without stopping it (the plan saw it stopped)', async () => {
    const e = engineWith();
    await apply(manifest({ services: [svc('web', { environment: { V: '1' } })] }), e, opts());
    await e.stopContainer(e.byName('web')!.id);
    const m2 = manifest({ services: [svc('web', { environment: { V: '2' } })] });
    const p = await planOf(m2, e);
    expect(p.actions[0]).toMatchObject({ action: 'recreate', stopOld: false, restartOld: false });
    const stopsBefore = e.calls.stopContainer ?? 0;
    expect((await execute(m2, p, e)).map((o) => o.status)).toEqual(['ok']);
    expect(e.calls.stopContainer ?? 0).toBe(stopsBefore);
    expect(e.byName('web')!.state).toBe('running');
  });

  it('tolerates an old container stopped or removed between plan and execute', async () => {
    const e = engineWith();
    await apply(manifest({ services: [svc('a', { environment: { V: '1' } }), svc('b', { environment: { V: '1' } })] }), e, opts());
    const m2 = manifest({ services: [svc('a', { environment: { V: '2' } }), svc('b', { environment: { V: '2' } })] });
    const p = await planOf(m2, e);
    expect(p.actions.map((a) => a.stopOld)).toEqual([true, true]);
    await e.stopContainer(e.byName('a')!.id);
    await e.removeContainer(e.byName('b')!.id, { force: true });
    expect((await execute(m2, p, e)).map((o) => `${o.name}:${o.status}`)).toEqual(['a:ok', 'b:ok']);
    expect(e.byName('a')!.state).toBe('running');
    expect(e.byName('b')!.state).toBe('running');
  });

  it('creates the networks and named volumes the plan lists, with their labels, once', async () => {
    const e = engineWith();
    const m = manifest({ services: [svc('web', { volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] } as never)] });
    m.volumes = { data: { key: 'data', name: 'fleet_data', driverOpts: {}, labels: { team: 'x' }, external: false } } as never;
    const p = await planOf(m, e);
    expect(p.networks).toEqual([expect.objectContaining({ name: 'fleet', action: 'create', labels: expect.objectContaining({ 'io.dom0.network': 'default' }) })]);
    expect(p.volumes).toEqual([expect.objectContaining({ name: 'fleet_data', action: 'create', labels: expect.objectContaining({ team: 'x', 'io.dom0.volume': 'data' }) })]);
    await execute(m, p, e);
    expect(e.volumes.get('fleet_data')?.labels).toMatchObject({ 'io.dom0.fleet': 'fleet', 'io.dom0.origin': m.origin, 'io.dom0.volume': 'data', team: 'x' });
    expect([...e.networks.values()][0]?.labels).toMatchObject({ 'io.dom0.fleet': 'fleet', 'io.dom0.network': 'default' });
    const again = await planOf(m, e);
    expect([...again.networks, ...again.volumes].map((s) => s.action)).toEqual(['exists', 'exists']);
    const creates = (e.calls.createNetwork ?? 0) + (e.calls.createVolume ?? 0);
    await execute(m, again, e);
    expect((e.calls.createNetwork ?? 0) + (e.calls.createVolume ?? 0)).toBe(creates);
  });

  it("apply's result carries the pull decisions it acted on", async () => {
    const e = engineWith();
    const m = manifest({ services: [svc('web'), svc('api', { image: 'registry.test/api:1' })] });
    const r = await apply(m, e, opts());
    expect(r.plan.pulls.map((s) => [s.ref, s.action, s.reason])).toEqual([
      ['busybox:latest', 'skip', 'present locally (pull_policy missing)'],
      ['registry.test/api:1', 'pull', 'not present locally'],
    ]);
    expect(e.log.filter((l) => l.startsWith('pullImage'))).toEqual(['pullImage registry.test/api:1']);
    expect(statusOf(r)).toEqual({ web: 'create:ok', api: 'create:ok' });
  });
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('execute: readiness from events', () => {
  it('a layered fleet started from nothing waits on its dependencies without inspecting them', async () => {
    const e = engineWith();
    const services = [svc('a'), svc('b'), svc('c', { dependsOn: [dep('a', 'service_started'), dep('b', 'service_started')] }), svc('d', { dependsOn: [dep('c', 'service_started')] })];
    const m = manifest({ services });
    const before = await observe(e, m);
    const inspectsBefore = e.calls.inspectContainer ?? 0;
    const outcomes = await execute(m, plan(m, before), e);
    expect(outcomes.map((o) => `${o.name}:${o.status}`).sort()).toEqual(['a:ok', 'b:ok', 'c:ok', 'd:ok']);
    expect((e.calls.inspectContainer ?? 0) - inspectsBefore).toBe(0);
  });
});
