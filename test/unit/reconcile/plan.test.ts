import { describe, expect, it } from 'vitest';
import { plan, diffSpecs } from '../../../src/reconcile/plan.js';
import { replacementName } from '../../../src/reconcile/labels.js';
import type { Observed } from '../../../src/reconcile/observe.js';
import { IMAGE_ID, container, job, manifest, observed, svc, vol } from './build.js';

const obs = (containers: Observed['containers'], imageId: string | undefined = IMAGE_ID): Observed => observed(containers, imageId);
const dep = (name: string, extra: object = {}) => ({ name, condition: 'service_started' as const, restart: false, required: true, ...extra });
const actionOf = (p: ReturnType<typeof plan>, name: string) => p.actions.find((a) => a.name === name)!;

describe('plan', () => {
  it('creates what is missing: create for services and volume containers, run for jobs', () => {
    const m = manifest({ volumes: [vol('home')], jobs: [job('init')], services: [svc('web')] });
    const p = plan(m, obs([]));
    expect(p.actions.map((a) => [a.name, a.action])).toEqual([
      ['home', 'create'],
      ['init', 'run'],
      ['web', 'create'],
    ]);
  });

  it('keeps what matches and says done for a job that exited 0 for this config', () => {
    const w = svc('web');
    const j = job('init');
    const v = vol('home');
    const m = manifest({ volumes: [v], jobs: [j], services: [w] });
    const p = plan(m, obs([container(w), container(j, { state: 'exited', exitCode: 0 }), container(v)]));
    expect(p.actions.map((a) => a.action)).toEqual(['keep', 'done', 'keep']);
  });

  it.each([
    ['stopped service', svc('web'), { state: 'exited' as const, exitCode: 137 }, 'start'],
    ['created service', svc('web'), { state: 'created' as const }, 'start'],
    ['failed job', job('web'), { state: 'exited' as const, exitCode: 1 }, 'run'],
    ['running job', job('web'), { state: 'running' as const }, 'keep'],
  ])('%s → %s', (_n, spec, state, expected) => {
    const m = spec.kind === 'job' ? manifest({ jobs: [spec] }) : manifest({ services: [spec] });
    expect(plan(m, obs([container(spec, state)])).actions[0]!.action).toBe(expected);
  });

  it('recreates a changed service and names the changed field', () => {
    const before = svc('web', { environment: { FOO: '1' } });
    const after = svc('web', { environment: { FOO: '2' } });
    const a = plan(manifest({ services: [after] }), obs([container(before)])).actions[0]!;
    expect(a.action).toBe('recreate');
    expect(a.reasons).toContain('environment.FOO: changed');
  });

  it('never shows the value of a secret-looking env var', () => {
    const before = svc('web', { environment: { DB_PASSWORD: 'hunter2-old' } });
    const after = svc('web', { environment: { DB_PASSWORD: 'hunter2-new' } });
    const p = plan(manifest({ services: [after] }), obs([container(before)]));
    const text = JSON.stringify(p.actions.map((a) => a.reasons));
    expect(text).not.toContain('hunter2');
    expect(text).toContain('environment.DB_PASSWORD: changed');
  });

  it('says the image changed when its ID did', () => {
    const w = svc('web');
    const a = plan(manifest({ services: [w] }), obs([container(w, { imageId: 'sha256:aaaa' })], 'sha256:bbbb')).actions[0]!;
    expect(a.action).toBe('recreate');
    expect(a.reasons.join()).toMatch(/image: new image ID \(aaaa → bbbb\)/);
  });

  it('blocks a changed volume container instead of recreating it', () => {
    const a = plan(manifest({ volumes: [vol('home', ['/home', '/srv'])] }), obs([container(vol('home', ['/home']))])).actions[0]!;
    expect(a.action).toBe('blocked');
    expect(a.reasons.join()).toMatch(/never recreates a volume container/);
  });

  it.each([
    ['no labels', {}],
    ['labels copied with a wrong hash', { 'io.dom0.fleet': 'fleet', 'io.dom0.kind': 'service', 'io.dom0.name': 'web', 'io.dom0.config-hash': 'bad', 'io.dom0.spec': '{}' }],
  ])('blocks a container it does not own (%s), and adopts it only with --adopt', (_n, labels) => {
    const w = svc('web');
    const m = manifest({ services: [w] });
    const o = obs([container(w, { labels })]);
    const blocked = plan(m, o).actions[0]!;
    expect(blocked.action).toBe('blocked');
    expect(blocked.reasons.join()).toMatch(/exists and is not managed by dom0: remove it, or apply --adopt/);
    const adopted = plan(m, o, { adopt: true }).actions[0]!;
    expect(adopted.action).toBe('recreate');
    expect(adopted.adopt).toBe(true);
  });

  it('blocks a container owned by another fleet', () => {
    const w = svc('web');
    const a = plan(manifest({ services: [w] }), obs([container(w, { fleet: 'other' })])).actions[0]!;
    expect(a.action).toBe('blocked');
    expect(a.reasons.join()).toMatch(/belongs to fleet "other"/);
  });

  it('removes orphan services and jobs, keeps orphan volume containers', () => {
    const p = plan(manifest({}), obs([container(svc('gone')), container(job('oldjob'), { state: 'exited' }), container(vol('data'))]));
    expect(p.actions.map((a) => [a.name, a.action])).toEqual([
      ['data', 'keep'],
      ['gone', 'remove'],
      ['oldjob', 'remove'],
    ]);
  });

  it('never touches containers of another fleet or unmanaged ones that are not in the manifest', () => {
    const p = plan(manifest({}), obs([container(svc('x'), { fleet: 'other' }), container(svc('y'), { labels: {} })]));
    expect(p.actions).toEqual([]);
  });

  it('restarts dependents bound by links or network_mode when their dependency is recreated', () => {
    const db = svc('db', { environment: { V: '2' } });
    const linked = svc('app', { links: [{ name: 'db', alias: 'db' }], dependsOn: [dep('db', { implicit: 'links' })] });
    const plain = svc('other', { dependsOn: [dep('db')] });
    const m = manifest({ services: [db, linked, plain] });
    const p = plan(m, obs([container(svc('db', { environment: { V: '1' } })), container(linked), container(plain)]));
    expect(actionOf(p, 'db').action).toBe('recreate');
    expect(actionOf(p, 'app').action).toBe('restart');
    expect(actionOf(p, 'other').action).toBe('keep');
  });

  it('orders dependencies before dependents', () => {
    const m = manifest({
      volumes: [vol('v')],
      jobs: [job('j', { dependsOn: [dep('v')] })],
      services: [svc('c', { dependsOn: [dep('b')] }), svc('b', { dependsOn: [dep('j', { condition: 'service_completed_successfully' })] })],
    });
    expect(plan(m, obs([])).actions.map((a) => a.name)).toEqual(['v', 'j', 'b', 'c']);
  });

  it('finishes an interrupted recreate: a lone replacement is renamed into place', () => {
    const w = svc('web');
    const r = container(w, { name: replacementName('web'), state: 'created' });
    const a = plan(manifest({ services: [w] }), obs([r])).actions[0]!;
    expect(a.finishReplacementId).toBe(r.id);
    expect(a.action).toBe('start');
  });

  it('removes a replacement left beside the original and redoes the recreate', () => {
    const old = container(svc('web', { environment: { A: '1' } }));
    const w = svc('web', { environment: { A: '2' } });
    const r = container(w, { name: replacementName('web'), state: 'created' });
    const a = plan(manifest({ services: [w] }), obs([old, r])).actions[0]!;
    expect(a.cleanupIds).toEqual([r.id]);
    expect(a.action).toBe('recreate');
    expect(a.containerId).toBe(old.id);
  });

  it('moves a service whose container_name changed, carrying its volumes (recreate from the old container)', () => {
    const old = container(svc('web', { containerName: 'web-old' }));
    const a = plan(manifest({ services: [svc('web', { containerName: 'web-new' })] }), obs([old])).actions;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ action: 'recreate', replace: true, containerId: old.id, containerName: 'web-new' });
    expect(a[0]!.reasons[0]).toBe('container_name: "web-old" → "web-new"');
  });

  it.each([
    ['stopped, running', false],
    ['running, stopped', true],
  ])('of two containers of an entry under old names (listed %s), moves the running one and removes the other, whatever the list order', (_n, reversed) => {
    const stopped = container(svc('web', { containerName: 'web-a' }), { state: 'exited', exitCode: 0 });
    const running = container(svc('web', { containerName: 'web-b' }));
    const listed = reversed ? [running, stopped] : [stopped, running];
    const a = plan(manifest({ services: [svc('web', { containerName: 'web-new' })] }), obs(listed)).actions;
    expect(a.map((x) => [x.action, x.containerId, x.orphan ?? false])).toEqual([
      ['recreate', running.id, false],
      ['remove', stopped.id, true],
    ]);
  });

  it('blocks a volume container whose container_name changed and says how to keep its data', () => {
    const old = container({ ...vol('home'), containerName: 'home-old' });
    const a = plan(manifest({ volumes: [{ ...vol('home'), containerName: 'home-new' }] }), obs([old])).actions[0]!;
    expect(a.action).toBe('blocked');
    expect(a.reasons.join()).toContain('docker rename home-old home-new');
  });

  it('removes a stray second container of an entry, keeps the one in use', () => {
    const w = svc('web');
    const current = container(w);
    const stray = container(w, { name: 'web-stray' });
    const p = plan(manifest({ services: [w] }), obs([current, stray]));
    expect(p.actions.map((x) => [x.containerName, x.action])).toEqual([
      ['web', 'keep'],
      ['web-stray', 'remove'],
    ]);
  });

  it('never replaces a volume container, not even with --adopt', () => {
    const v = vol('data');
    const squatter = container({ ...v, containerName: 'web' });
    const a = plan(manifest({ volumes: [], services: [svc('web')] }), obs([squatter]), { adopt: true });
    expect(actionOf(a, 'web').action).toBe('blocked');
    expect(a.actions.find((x) => x.containerId === squatter.id && x.action === 'remove')).toBeUndefined();
  });

  it('redacts a secret-looking env var that is added or removed', () => {
    const p = plan(manifest({ services: [svc('web', { environment: { API_TOKEN: 'tok-123456' } })] }), obs([container(svc('web'))]));
    expect(JSON.stringify(p.actions.map((x) => x.reasons))).not.toContain('tok-123456');
    expect(p.actions[0]!.reasons).toContain('environment.API_TOKEN: added');
  });

  it('is deterministic', () => {
    const m = manifest({ services: [svc('a'), svc('b', { dependsOn: [dep('a')] })] });
    const o = obs([container(svc('a'))]);
    expect(JSON.stringify(plan(m, o))).toBe(JSON.stringify(plan(m, o)));
  });
});

describe('diffSpecs', () => {
  it.each([
    [{ a: 1 }, { a: 2 }, ['a: 1 → 2']],
    [{ environment: { X: '1' } }, { environment: {} }, ['environment.X: removed']],
    [{ command: ['a'] }, { command: ['a', 'b'] }, ['command: ["a"] → ["a","b"]']],
    [{ environment: { API_TOKEN: 'x' } }, { environment: { API_TOKEN: 'y' } }, ['environment.API_TOKEN: changed']],
  ])('%j → %j', (a, b, expected) => {
    expect(diffSpecs(a as never, b as never)).toEqual(expected);
  });
});
