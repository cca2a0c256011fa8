// The plan as the whole truth: each step's inputs (waits, the job wait, labels, how to stop the old
// container, networks, volumes, pull decisions) are decided by plan, from observed state alone.
import { describe, expect, it } from 'vitest';
import { planJson } from '../../../src/cli/plan.js';
import type { ImageInfo } from '../../../src/engine/engine.js';
import { createsContainer, DEFAULT_WAIT_TIMEOUT_MS, JOB_DEFAULT_RETRIES, plan } from '../../../src/reconcile/plan.js';
import { planPulls } from '../../../src/reconcile/pull.js';
import { container, job, manifest, observed, svc } from './build.js';

const dep = (name: string, extra: object = {}) => ({ name, condition: 'service_completed_successfully' as const, restart: false, required: true, ...extra });
const image = (id: string): ImageInfo => ({ id, repoTags: [], repoDigests: [], created: '', volumes: [], labels: {} });

describe('plan steps', () => {
  it.each([
    ['running', 'keep', true],
    ['restarting', 'keep', true],
    ['exited 1', 'run', true],
    ['exited 0', 'done', false],
  ] as const)('a job %s → %s, awaited: %s', (state, action, awaited) => {
    const j = job('init');
    const obs = state === 'exited 1' ? { state: 'exited' as const, exitCode: 1 } : state === 'exited 0' ? { state: 'exited' as const, exitCode: 0 } : { state };
    const a = plan(manifest({ jobs: [j] }), observed([container(j, obs)])).actions[0]!;
    expect(a.action).toBe(action);
    expect(a.awaitJob !== undefined).toBe(awaited);
  });

  it('a job is awaited as long as the longest depends_on timeout on it, and retried per restart: on-failure', () => {
    const j = job('init', { restart: { name: 'on-failure' } });
    const m = manifest({ jobs: [j], services: [svc('a', { dependsOn: [dep('init', { timeoutMs: 9_000_000 })] }), svc('b', { dependsOn: [dep('init')] })] });
    const p = plan(m, observed([]), { waitTimeoutMs: 1000 });
    expect(p.actions[0]!.awaitJob).toEqual({ timeoutMs: 9_000_000, retries: JOB_DEFAULT_RETRIES });
    expect(p.actions.find((a) => a.name === 'a')!.waits).toEqual([
      { entry: 'init', kind: 'job', containerName: 'init', condition: 'service_completed_successfully', timeoutMs: 9_000_000, required: true },
    ]);
    expect(p.actions.find((a) => a.name === 'b')!.waits[0]!.timeoutMs).toBe(1000);
    expect(plan(m, observed([])).actions.find((a) => a.name === 'b')!.waits[0]!.timeoutMs).toBe(DEFAULT_WAIT_TIMEOUT_MS);
  });

  it('keep and done wait for nothing', () => {
    const j = job('init');
    const w = svc('web', { dependsOn: [dep('init')] });
    const p = plan(manifest({ jobs: [j], services: [w] }), observed([container(j, { state: 'exited', exitCode: 0 }), container(w)]));
    expect(p.actions.map((a) => [a.action, a.waits.length])).toEqual([['done', 0], ['keep', 0]]);
  });

  it.each([
    ['running', true, true],
    ['restarting', true, true],
    ['paused', true, false],
    ['exited', false, false],
    ['created', false, false],
  ] as const)('recreating a %s container: stop it first %s, restart it on rollback %s', (state, stopOld, restartOld) => {
    const before = svc('web', { environment: { V: '1' } });
    const a = plan(manifest({ services: [svc('web', { environment: { V: '2' } })] }), observed([container(before, { state })])).actions[0]!;
    expect(a).toMatchObject({ action: 'recreate', stopOld, restartOld });
  });

  it('labels are decided for every action that creates a container, and only then', () => {
    const w = svc('web', { restart: { name: 'on-failure', maxRetries: 2 }, dependsOn: [dep('init')] });
    const p = plan(manifest({ jobs: [job('init')], services: [w] }), observed([]));
    for (const a of p.actions) expect(createsContainer(a)).toBe(true);
    expect(p.actions[1]!.labels).toMatchObject({
      'io.dom0.fleet': 'fleet',
      'io.dom0.kind': 'service',
      'io.dom0.name': 'web',
      'io.dom0.config-hash': p.actions[1]!.hash,
      'io.dom0.restart': 'on-failure:2',
      'io.dom0.depends-on': 'init',
      'io.dom0.container-name': 'web',
      'io.dom0.origin': '/tmp/dom0.yaml',
    });
    const kept = plan(manifest({ services: [svc('x')] }), observed([container(svc('x'))])).actions[0]!;
    expect(kept.labels).toBeUndefined();
  });

  it('the network a container joins is created when absent, with the fleet, origin and key labels (dom0\'s and Compose\'s)', () => {
    const m = manifest({ services: [svc('web')] });
    expect(plan(m, observed([])).networks).toEqual([
      expect.objectContaining({
        key: 'default',
        name: 'fleet',
        action: 'create',
        labels: {
          'io.dom0.fleet': 'fleet',
          'io.dom0.origin': '/tmp/dom0.yaml',
          'io.dom0.network': 'default',
          'com.docker.compose.project': 'fleet',
          'com.docker.compose.network': 'default',
        },
      }),
    ]);
    const have = { ...observed([]), networks: [{ id: 'n1', name: 'fleet', labels: {} }] };
    expect(plan(m, have).networks.map((n) => [n.name, n.action, n.create])).toEqual([['fleet', 'exists', undefined]]);
    expect(plan(manifest({ services: [svc('web', { networkMode: 'host' })] }), observed([])).networks).toEqual([]);
  });

  it('planPulls: one step per distinct image, with the policy decision and its reason', () => {
    const m = manifest({
      services: [svc('a'), svc('b', { image: 'busybox' }), svc('c', { image: 'reg.test/app:1', pullPolicy: 'always' }), svc('d', { image: 'reg.test/old:1', pullPolicy: 'never' })],
      jobs: [job('e', { image: 'reg.test/tick:1', pullPolicy: { everyMs: 3_600_000 } })],
    });
    const images = { 'busybox:latest': image('sha256:b'), 'reg.test/app:1': image('sha256:a'), 'reg.test/tick:1': image('sha256:t') };
    const asked: string[] = [];
    const steps = planPulls(m, images, (c) => (asked.push(c), 0), 3_600_000 * 2);
    expect(steps.map((s) => [s.ref, s.refs, s.action, s.reason])).toEqual([
      ['busybox:latest', ['busybox:latest', 'busybox'], 'skip', 'present locally (pull_policy missing)'],
      ['reg.test/app:1', ['reg.test/app:1'], 'pull', 'pull_policy always'],
      ['reg.test/old:1', ['reg.test/old:1'], 'fail', 'image reg.test/old:1 is not present locally and pull_policy is never: pull or load it first'],
      ['reg.test/tick:1', ['reg.test/tick:1'], 'pull', 'pull_policy every_1h: last pulled 2h ago'],
    ]);
    expect(asked).toEqual(['reg.test/tick:1']);
  });

  it('plan --json keeps name/kind/action/reasons and adds pulls, builds, networks, volumes and the inputs, never a secret', () => {
    const before = svc('web', { environment: { DB_PASSWORD: 'hunter2-old' } });
    const m = manifest({ services: [svc('web', { environment: { DB_PASSWORD: 'hunter2-new' } })] });
    const pulls = planPulls(m, { 'busybox:latest': image('sha256:b') }, () => undefined, 0);
    const json = planJson(plan(m, observed([container(before)]), { pulls }), { origin: m.origin, notes: [] }) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['fleet', 'origin', 'notes', 'pulls', 'builds', 'networks', 'volumes', 'actions']);
    expect(json.builds).toEqual([]);
    const a = (json.actions as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(a).slice(0, 4)).toEqual(['name', 'kind', 'action', 'reasons']);
    expect(a).toMatchObject({ action: 'recreate', stopOld: true, containerName: 'web' });
    expect(json.pulls).toEqual([{ image: 'busybox:latest', refs: ['busybox:latest'], policy: 'missing', action: 'skip', reason: 'present locally (pull_policy missing)', imageId: 'sha256:b' }]);
    expect(JSON.stringify(json)).not.toMatch(/hunter2/);
    expect(JSON.stringify(json)).not.toContain('io.dom0.spec');
  });
});
