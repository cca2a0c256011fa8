import { describe, expect, it } from 'vitest';
import type { RestartPolicy } from '../../../src/manifest/types.js';
import { BACKOFF, boundDependents, boundTo, decideRestart, formatRestart, parseRestart } from '../../../src/reconcile/restart-policy.js';
import { loadOk } from '../manifest/helpers.js';

const death = (over: Partial<Parameters<typeof decideRestart>[1]> = {}) => ({
  exitCode: 1,
  stoppedByHand: false,
  consecutiveFailures: 0,
  restartsSinceApply: 0,
  ...over,
});

describe('restart policy', () => {
  it.each([
    [undefined, { name: 'no' }],
    ['no', { name: 'no' }],
    ['always', { name: 'always' }],
    ['unless-stopped', { name: 'unless-stopped' }],
    ['on-failure', { name: 'on-failure' }],
    ['on-failure:2', { name: 'on-failure', maxRetries: 2 }],
    ['garbage', { name: 'no' }],
  ])('parseRestart(%s)', (label, expected) => {
    expect(parseRestart(label)).toEqual(expected);
  });

  it.each([
    ['no', death(), false],
    ['always', death(), true],
    ['always', death({ exitCode: 0 }), true],
    ['always', death({ stoppedByHand: true }), false],
    ['unless-stopped', death(), true],
    ['unless-stopped', death({ stoppedByHand: true }), false],
    ['on-failure', death({ exitCode: 0 }), false],
    ['on-failure', death({ exitCode: 3 }), true],
    ['on-failure:2', death({ restartsSinceApply: 1 }), true],
    ['on-failure:2', death({ restartsSinceApply: 2 }), false],
  ])('%s with %j → restart=%s', (label, d, expected) => {
    expect(decideRestart(parseRestart(label), d).restart).toBe(expected);
  });

  it('backs off exponentially up to the cap', () => {
    const delays = [0, 1, 2, 3, 10, 30].map((n) => {
      const d = decideRestart({ name: 'always' }, death({ consecutiveFailures: n }));
      return d.restart ? d.delayMs : -1;
    });
    expect(delays).toEqual([500, 1000, 2000, 4000, BACKOFF.capMs, BACKOFF.capMs]);
  });

  it('says why it gives up', () => {
    const d = decideRestart(parseRestart('on-failure:2'), death({ restartsSinceApply: 2 }));
    expect(d).toEqual({ restart: false, why: 'gave up after 2 restarts (on-failure:2)' });
  });
});

describe('restart label', () => {
  const cases: Array<[RestartPolicy, string]> = [
    [{ name: 'no' }, 'no'],
    [{ name: 'always' }, 'always'],
    [{ name: 'unless-stopped' }, 'unless-stopped'],
    [{ name: 'on-failure' }, 'on-failure'],
    [{ name: 'on-failure', maxRetries: 5 }, 'on-failure:5'],
    [{ name: 'on-failure', maxRetries: 0 }, 'on-failure:0'],
  ];
  it.each(cases)('%o is written as %s and read back', (policy, label) => {
    expect(formatRestart(policy)).toBe(label);
    expect(parseRestart(label)).toEqual(policy);
  });
});

describe('which entries restart with a dependency (plan and supervisor)', () => {
  const { manifest } = loadOk(`
services:
  db:
    image: busybox
  cache:
    image: busybox
    container_name: the-cache
  web:
    image: busybox
    links: [db]
  sidecar:
    image: busybox
    network_mode: service:db
  byname:
    image: busybox
    network_mode: container:the-cache
  declared:
    image: busybox
    network_mode: container:the-cache
    depends_on: [cache]
  shares-pid:
    image: busybox
    pid: service:db
    depends_on:
      db:
        condition: service_started
  worker:
    image: busybox
    depends_on:
      db:
        condition: service_started
        restart: true
  reader:
    image: busybox
    depends_on: [db]
jobs:
  migrate:
    image: busybox
    links: [db]
`);
  const spec = (name: string) => [...manifest.jobs, ...manifest.services].find((s) => s.name === name)!;

  it.each([
    ['web', ['db']],
    ['sidecar', ['db']],
    ['byname', ['cache']],
    ['declared', ['cache']],
    ['shares-pid', ['db']],
    ['worker', ['db']],
    ['reader', []],
    ['db', []],
  ])('%s is bound to %o', (name, expected) => {
    expect([...boundTo(spec(name))].sort()).toEqual(expected);
  });

  it('lists the dependents bound to an entry: links, network_mode, restart: true; not a plain depends_on', () => {
    expect([...boundDependents(manifest, 'db')].sort()).toEqual(['migrate', 'shares-pid', 'sidecar', 'web', 'worker']);
    expect([...boundDependents(manifest, 'cache')].sort()).toEqual(['byname', 'declared']);
    expect([...boundDependents(manifest, 'reader')]).toEqual([]);
  });
});
