// target: swarm in the manifest: the keys with no Swarm meaning are errors naming the alternative,
// at FILE:LINE:COL; the Swarm deploy keys are read (and no longer warned about as ignored).
import { describe, expect, it } from 'vitest';
import { loadErrors, loadOk } from '../manifest/helpers.js';

const head = 'name: sw\ntarget: swarm\n';

describe('swarm rules', () => {
  it.each([
    ['volumes_from of a service', 'services:\n  app: {image: busybox}\n  bee:\n    image: busybox\n    volumes_from: [app]\n', ':7:20: volumes_from `app` has no meaning on a Swarm', 'use a named volume'],
    ['links', 'services:\n  app: {image: busybox}\n  bee:\n    image: busybox\n    links: [app]\n', ':7:5: `links` has no meaning on a Swarm', 'services reach each other by name on a shared overlay network'],
    ['container_name', 'services:\n  app:\n    image: busybox\n    container_name: x1\n', ':6:5: `container_name` has no meaning on a Swarm', 'Swarm names tasks itself; use the service name'],
    ['network_mode container:', 'services:\n  app:\n    image: busybox\n    network_mode: "container:other"\n', ':6:5: network_mode `container:other` has no meaning on a Swarm', 'put both services on one network'],
    ['network_mode service:', 'services:\n  app: {image: busybox}\n  bee:\n    image: busybox\n    network_mode: "service:app"\n', ':7:5: network_mode `service:app`', 'put both services on one network'],
  ])('%s is an error at its key naming the Swarm alternative', (_n, body, where, alternative) => {
    const errs = loadErrors(head + body);
    const e = errs.find((x) => x.includes('Swarm'));
    expect(e, errs.join('\n')).toBeDefined();
    expect(e).toContain(where);
    expect(e).toContain(alternative);
  });

  it('the same keys load on one host (no target)', () => {
    loadOk('name: sw\nservices:\n  app: {image: busybox}\n  bee:\n    image: busybox\n    links: [app]\n    container_name: bee\n');
  });

  it('volumes_from of a volume container is allowed (its paths become named volumes)', () => {
    const { manifest } = loadOk(head + 'volume_containers:\n  data: {image: busybox, paths: [/data]}\nservices:\n  app:\n    image: busybox\n    volumes_from: [data]\n');
    expect(manifest.target).toBe('swarm');
  });

  it('an unknown target is an error', () => {
    expect(loadErrors('name: sw\ntarget: k8s\nservices:\n  app: {image: busybox}\n').join('\n')).toContain('target must be swarm');
  });
});

describe('swarm deploy keys', () => {
  it('are read, and not warned about as ignored', () => {
    const { manifest, warnings } = loadOk(
      head +
        'services:\n  app:\n    image: busybox\n    deploy:\n      replicas: 3\n      labels: {tier: web}\n      placement: {constraints: ["node.role==manager"]}\n      update_config: {parallelism: 2, delay: 1s, failure_action: pause, monitor: 10s, order: start-first}\n      rollback_config: {parallelism: 0}\n',
    );
    expect(warnings.map((w) => w.message).join('\n')).not.toContain('Swarm setting');
    expect(manifest.swarmDeploy?.app).toEqual({
      mode: 'replicated',
      replicas: 3,
      labels: { tier: 'web' },
      constraints: ['node.role==manager'],
      updateConfig: { parallelism: 2, delayMs: 1000, failureAction: 'pause', monitorMs: 10000, order: 'start-first' },
      rollbackConfig: { parallelism: 0 },
    });
  });

  it('one host still warns that they are ignored', () => {
    const { warnings } = loadOk('name: sw\nservices:\n  app:\n    image: busybox\n    deploy: {replicas: 2}\n');
    expect(warnings.map((w) => w.message).join('\n')).toContain('Swarm setting');
  });

  it.each([
    ['replicas: -1', 'deploy.replicas must be a whole number'],
    ['mode: spread', 'deploy.mode must be replicated or global'],
    ['update_config: {failure_action: explode}', '`failure_action` must be continue, rollback or pause'],
    ['update_config: {monitor: soon}', '`monitor` must be a duration'],
    ['placement: {constraints: node.role==manager}', 'placement.constraints'],
  ])('bad %s is an error', (deploy, message) => {
    expect(loadErrors(head + `services:\n  app:\n    image: busybox\n    deploy: {${deploy}}\n`).join('\n')).toContain(message);
  });
});

describe('placement constraints with a glob', () => {
  const body = (c: string) => `services:\n  app:\n    image: busybox\n    deploy:\n      placement:\n        constraints:\n          - node.role == manager\n          - ${c}\n`;

  it.each([['node.hostname == web-*'], ['node.hostname==web-?'], ['node.labels.zone == eu-[ab]'], ['engine.labels.tier != db*']])(
    '%s is an error at its line:col on a swarm',
    (c) => {
      const errs = loadErrors(head + body(c));
      const e = errs.find((x) => x.includes('Swarm compares literally'));
      expect(e, errs.join('\n')).toContain(':10:13:');
      expect(e).toContain(JSON.stringify(c));
      expect(e).toContain("a glob is dom0's single-host extension; Swarm compares literally: list the names, or use a node label");
    },
  );

  it.each([['node.hostname == web-1'], ['node.labels.zone == eu-a']])('%s (literal) is fine on a swarm', (c) => {
    expect(loadOk(head + body(c)).manifest.swarmDeploy?.app?.constraints).toEqual(['node.role == manager', c]);
  });

  it('one host keeps its glob extension', () => {
    loadOk('name: sw\n' + body('node.hostname == web-*'));
  });
});
