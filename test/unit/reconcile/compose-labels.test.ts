import { describe, expect, it } from 'vitest';
import { configHash } from '../../../src/reconcile/hash.js';
import { COMPOSE_LABEL, LABEL } from '../../../src/reconcile/labels.js';
import { plan } from '../../../src/reconcile/plan.js';
import { IMAGE_ID, container, job, manifest, observed, svc, vol } from './build.js';

describe("Compose's labels on the containers dom0 creates", () => {
  const w = svc('web', { containerName: 'my-web', labels: { [COMPOSE_LABEL.project]: 'user-set' } });
  const j = job('init');
  const v = vol('home');
  const m = { ...manifest({ name: 'shop', volumes: [v], jobs: [j], services: [w] }), origin: '/srv/shop/dom0.yaml' };
  const p = plan(m, observed([]));

  it.each([
    ['home', 'volume'],
    ['init', 'job'],
    ['web', 'service'],
  ])('%s (%s): project = fleet, service = entry key, not one-off, number 1, the config hash, the origin', (name) => {
    const a = p.actions.find((x) => x.name === name)!;
    expect(a.labels).toMatchObject({
      [COMPOSE_LABEL.project]: 'shop',
      [COMPOSE_LABEL.service]: name,
      [COMPOSE_LABEL.oneoff]: 'False',
      [COMPOSE_LABEL.containerNumber]: '1',
      [COMPOSE_LABEL.configHash]: a.hash,
      [COMPOSE_LABEL.workingDir]: '/srv/shop',
      [COMPOSE_LABEL.configFiles]: '/srv/shop/dom0.yaml',
      [LABEL.fleet]: 'shop',
      [LABEL.name]: name,
      [LABEL.hash]: a.hash,
    });
  });

  it('the service label is the entry key, not the container name', () => {
    expect(p.actions.find((x) => x.name === 'web')!.labels![COMPOSE_LABEL.service]).toBe('web');
  });

  it('do not change the config hash: it is the hash of the spec alone', () => {
    for (const e of [v, j, w]) expect(p.actions.find((x) => x.name === e.name)!.hash).toBe(configHash(e, IMAGE_ID));
  });

  it('a fleet applied without them plans all keep/done (containers get them at their next create)', () => {
    const m2 = manifest({ volumes: [v], jobs: [j], services: [svc('web', { containerName: 'my-web' })] });
    const w2 = m2.services[0]!;
    const o = observed([container(v), container(j, { state: 'exited', exitCode: 0 }), container(w2)]);
    for (const c of o.containers) expect(Object.keys(c.labels).some((k) => k.startsWith('com.docker.compose.'))).toBe(false);
    expect(plan(m2, o).actions.map((a) => [a.name, a.action])).toEqual([
      ['home', 'keep'],
      ['init', 'done'],
      ['web', 'keep'],
    ]);
  });
});
