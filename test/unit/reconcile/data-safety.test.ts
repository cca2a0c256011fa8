// Ownership, fleet identity and volume data in plan: the rules of issue 9, as table cases.
import { describe, expect, it } from 'vitest';
import { LABEL, replacementName } from '../../../src/reconcile/labels.js';
import { toObserved } from '../../../src/reconcile/observe.js';
import { claimFor, isThisManifests, ownershipOf } from '../../../src/reconcile/ownership.js';
import { plan } from '../../../src/reconcile/plan.js';
import { backingVolumeName } from '../../../src/reconcile/volume-backing.js';
import { IMAGE_ID, container, manifest, observed, svc, vol } from './build.js';

const ORIGIN = '/tmp/dom0.yaml';
const fleet = { name: 'fleet', origin: ORIGIN };
const withoutLabel = (labels: Record<string, string>, key: string) => Object.fromEntries(Object.entries(labels).filter(([k]) => k !== key));
const act = (p: ReturnType<typeof plan>, name: string, orphan = false) => p.actions.find((a) => a.name === name && !!a.orphan === orphan);

describe('ownership', () => {
  const web = container(svc('web'));
  it.each([
    ['labels dom0 wrote for this container', web, undefined, true],
    ['labels equal to its image labels (docker commit)', web, web.labels, false],
    ['the image has other dom0 labels', web, { [LABEL.hash]: 'other' }, true],
    ['a corrupt spec label', { ...web, labels: { ...web.labels, [LABEL.spec]: '{' } }, undefined, false],
  ])('%s', (_why, c, imageLabels, owned) => {
    expect(!!ownershipOf(c, imageLabels)).toBe(owned);
  });

  it.each([
    ['same fleet, same origin, recorded name', {}, 'web', 'ours', true],
    ['another manifest of the same fleet name', { origin: '/srv/other/dom0.yaml' }, 'web', 'other-manifest', false],
    ['made before origins were recorded', { legacy: true }, 'web', 'legacy', false],
    ['a copy under another name (committed image run by hand)', { name: 'handmade' }, 'web', undefined, false],
    ['another fleet', { fleet: 'other' }, 'web', undefined, false],
  ] as const)('%s', (_why, over, entryName, claim, removable) => {
    const base = container(svc('web'), { fleet: 'fleet' in over ? over.fleet : undefined, origin: 'origin' in over ? over.origin : undefined });
    let labels = base.labels;
    if ('legacy' in over) labels = withoutLabel(withoutLabel(labels, LABEL.origin), LABEL.containerName);
    if ('name' in over) labels = { ...labels }; // the copy keeps the recorded name "web"
    const c = toObserved({ ...base, name: 'name' in over ? over.name : base.name, labels });
    expect(claimFor(c, { kind: 'service', name: entryName, containerName: 'web' }, fleet)).toBe(claim);
    expect(isThisManifests(c, fleet)).toBe(removable);
  });

  it('a volume container renamed by hand to the entry container_name is still claimed', () => {
    const c = toObserved({ ...container(vol('data'), { name: 'old-data' }), name: 'data' });
    expect(claimFor(c, { kind: 'volume', name: 'data', containerName: 'data' }, fleet)).toBe('ours');
  });
});

describe('plan: fleet identity', () => {
  it('never removes a container of the same fleet name applied from another manifest; --adopt takes it over', () => {
    const shop = container(svc('shop'), { origin: '/srv/shop/dom0.yaml' });
    const shopData = container(vol('shop-data'), { origin: '/srv/shop/dom0.yaml' });
    const m = manifest({ services: [svc('blog')] });
    const p = plan(m, observed([shop, shopData]));
    expect(act(p, 'shop', true)?.action).toBe('blocked');
    expect(act(p, 'shop-data', true)?.action).toBe('blocked');
    expect(act(p, 'shop', true)?.reasons.join(' ')).toContain('/srv/shop/dom0.yaml');
    const adopted = plan(m, observed([shop, shopData]), { adopt: true });
    expect(act(adopted, 'shop', true)?.action).toBe('remove');
    expect(act(adopted, 'shop-data', true)?.action).toBe('keep');
  });

  it('removes orphans applied from this manifest, never a copy made from a committed image', () => {
    const gone = container(svc('gone'));
    const copy = toObserved({ ...container(svc('app')), name: 'handmade', id: 'copy' });
    const p = plan(manifest({ services: [svc('web')] }), observed([gone, copy]));
    expect(act(p, 'gone', true)?.action).toBe('remove');
    expect(p.actions.some((a) => a.containerId === 'copy')).toBe(false);
  });

  it('blocks an entry whose container another manifest of the same name made', () => {
    const p = plan(manifest({ services: [svc('web')] }), observed([container(svc('web'), { origin: '/elsewhere/dom0.yaml' })]));
    expect(act(p, 'web')?.action).toBe('blocked');
    const q = plan(manifest({ services: [svc('web')] }), observed([container(svc('web'), { origin: '/elsewhere/dom0.yaml' })]), { adopt: true });
    expect(act(q, 'web')).toMatchObject({ action: 'recreate', adopt: true, replace: true });
  });

  it('keeps a legacy container its entry claims; never removes a legacy orphan without --adopt', () => {
    const legacy = (c: ReturnType<typeof container>) => toObserved({ ...c, labels: withoutLabel(withoutLabel(c.labels, LABEL.origin), LABEL.containerName) });
    const p = plan(manifest({ services: [svc('web')] }), observed([legacy(container(svc('web'))), legacy(container(svc('old')))]));
    expect(act(p, 'web')?.action).toBe('keep');
    expect(act(p, 'old', true)?.action).toBe('blocked');
  });

  it('an orphan and an entry of the same name are two actions (container_name change interrupted)', () => {
    // The entry's container was created under its new name; the old one still stands.
    const now = container(svc('web', { containerName: 'web-new' }), { name: 'web-new' });
    const old = container(svc('web'), { name: 'web' });
    const p = plan(manifest({ services: [svc('web', { containerName: 'web-new' })] }), observed([now, old]));
    expect(act(p, 'web')?.action).toBe('keep');
    expect(act(p, 'web', true)).toMatchObject({ action: 'remove', containerName: 'web' });
  });

  it.each([
    ['another fleet holds the volume name', { [LABEL.fleet]: 'shop_db', [LABEL.volumeKey]: 'data' }, 'blocked'],
    ['this fleet made it for this key', { [LABEL.fleet]: 'fleet', [LABEL.volumeKey]: 'db_data' }, 'create'],
    ['made by hand (no dom0 labels)', {}, 'create'],
  ])('named volume collision: %s', (_why, labels, action) => {
    const m = manifest({ services: [svc('db', { volumes: [{ type: 'volume', source: 'db_data', target: '/db', readOnly: false }] })], name: 'fleet' });
    m.volumes = { db_data: { key: 'db_data', name: 'fleet_db_data', driverOpts: {}, labels: {}, external: false } };
    const o = { ...observed([]), namedVolumes: { fleet_db_data: { name: 'fleet_db_data', labels } } };
    expect(act(plan(m, o), 'db')?.action).toBe(action);
  });
});

describe('plan: anonymous and image-declared volume data', () => {
  const img = (volumes: string[]) => ({ 'busybox:latest': { id: IMAGE_ID, repoTags: [], repoDigests: [], created: '', volumes, labels: {} } });
  const withImage = (containers: ReturnType<typeof container>[], volumes: string[], existing: string[] = []) => ({
    ...observed(containers),
    images: img(volumes),
    volumes: existing.map((name) => ({ name, labels: {} })),
  });

  it('backs an image VOLUME and an anonymous path with named volumes on create', () => {
    const s = svc('db', { volumes: [{ type: 'anonymous', target: '/cache', readOnly: false }] });
    const a = act(plan(manifest({ services: [s] }), withImage([], ['/var/lib/db'])), 'db')!;
    expect(a.backing?.map((b) => [b.path, b.name, b.create])).toEqual([
      ['/cache', backingVolumeName('fleet', 'db', '/cache'), true],
      ['/var/lib/db', backingVolumeName('fleet', 'db', '/var/lib/db'), true],
    ]);
  });

  it('re-attaches an existing backing volume after down (create: false, nothing carried)', () => {
    const name = backingVolumeName('fleet', 'db', '/var/lib/db');
    const a = act(plan(manifest({ services: [svc('db')] }), withImage([], ['/var/lib/db'], [name])), 'db')!;
    expect(a.backing).toEqual([expect.objectContaining({ name, create: false })]);
    expect(a.backing![0]!.carryFrom).toBeUndefined();
  });

  it('carries an anonymous volume of the replaced container into the backing volume', () => {
    const before = container(svc('db', { environment: { V: '1' } }), {
      mounts: [{ type: 'volume', name: 'f00d'.repeat(16), source: '', destination: '/var/lib/db', rw: true }],
    });
    const a = act(plan(manifest({ services: [svc('db', { environment: { V: '2' } })] }), withImage([before], ['/var/lib/db'])), 'db')!;
    expect(a.action).toBe('recreate');
    expect(a.backing?.[0]?.carryFrom).toBe('f00d'.repeat(16));
  });

  it('leaves a path lent by volumes_from alone', () => {
    const s = svc('web', { volumesFrom: [{ name: 'data', readOnly: false }] });
    const a = act(plan(manifest({ services: [s], volumes: [vol('data', ['/var/lib/db'])] }), withImage([], ['/var/lib/db'])), 'web')!;
    expect(a.backing).toEqual([]);
  });

  it.each([
    ['a bind', { type: 'bind', source: '/srv/db', target: '/var/lib/db', readOnly: false }],
    ['a named volume', { type: 'volume', source: 'db_data', target: '/var/lib/db', readOnly: false }],
  ] as const)('blocks a path moving from its own volume to %s unless --accept-data-loss', (_why, mount) => {
    const before = container(svc('db'), { mounts: [{ type: 'volume', name: 'f00d'.repeat(16), source: '', destination: '/var/lib/db', rw: true }] });
    const m = manifest({ services: [svc('db', { volumes: [mount] })] });
    const blocked = act(plan(m, withImage([before], ['/var/lib/db'])), 'db')!;
    expect(blocked.action).toBe('blocked');
    expect(blocked.reasons.join(' ')).toContain('--accept-data-loss');
    expect(act(plan(m, withImage([before], ['/var/lib/db']), { acceptDataLoss: true }), 'db')?.action).toBe('recreate');
  });

  it('replacement names are reserved for the recreate in progress', () => {
    expect(replacementName('web')).toBe('web.dom0-next');
  });
});
