// The Swarm plan: create / update / keep / remove / blocked per service, reasons, dependency order.
import { describe, expect, it } from 'vitest';
import type { ServiceInfo } from '../../../src/engine/swarm-engine.js';
import type { Manifest } from '../../../src/manifest/types.js';
import { LABEL } from '../../../src/reconcile/labels.js';
import type { ObservedSwarm } from '../../../src/reconcile/swarm/observe-swarm.js';
import { isNoop, planSwarm } from '../../../src/reconcile/swarm/plan-swarm.js';
import { desiredService } from '../../../src/reconcile/swarm/service-spec.js';
import { loadOk } from '../manifest/helpers.js';

const FLEET = `name: sw
target: swarm
secrets:
  token: {environment: TOKEN}
jobs:
  migrate:
    image: busybox:latest
    command: ["true"]
services:
  db:
    image: busybox:latest
    command: ["sleep", "100"]
    healthcheck: {test: ["CMD", "true"]}
  api:
    image: busybox:latest
    command: ["sleep", "100"]
    secrets: [token]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  web:
    image: busybox:latest
    command: ["sleep", "100"]
    depends_on: [api]
`;

function load(yaml = FLEET, env: Record<string, string> = { TOKEN: 't0' }): Manifest {
  return loadOk(yaml, { env }).manifest;
}

/** The engine after a converged apply of `m`: every service as dom0 would have created it. */
function deployed(m: Manifest): ServiceInfo[] {
  return [...m.jobs, ...m.services].map((e, i) => {
    const d = desiredService(m, e);
    return { id: `id-${e.name}`, name: d.spec.Name, version: 10 + i, labels: d.spec.Labels, spec: d.spec, createdAt: '', updatedAt: '' };
  });
}

const empty: ObservedSwarm = { services: [], secrets: [], configs: [], networks: [] };

function actions(m: Manifest, o: ObservedSwarm) {
  return planSwarm(m, o).actions.map((a) => [a.action, a.name, a.reasons.join('; ')]);
}

describe('planSwarm', () => {
  it('an empty swarm: everything created, dependencies first', () => {
    const m = load();
    const p = planSwarm(m, empty);
    expect(p.actions.map((a) => [a.action, a.name, a.level])).toEqual([
      ['create', 'db', 0],
      ['create', 'migrate', 0],
      ['create', 'api', 1],
      ['create', 'web', 2],
    ]);
    expect(p.networks).toMatchObject([{ key: 'default', name: 'sw', action: 'create' }]);
    expect(p.secrets).toMatchObject([{ action: 'create' }]);
    expect(JSON.stringify(p.secrets)).not.toContain('t0');
  });

  it('a converged swarm: every service kept, a no-op', () => {
    const m = load();
    const secret = planSwarm(m, empty).secrets[0]!;
    const o: ObservedSwarm = {
      services: deployed(m),
      secrets: [{ id: 's1', name: secret.name, labels: { [LABEL.fleet]: 'sw', [LABEL.origin]: m.origin } }],
      configs: [],
      networks: [{ id: 'n1', name: 'sw', labels: { [LABEL.fleet]: 'sw', [LABEL.origin]: m.origin } }],
    };
    const p = planSwarm(m, o);
    expect(p.actions.map((a) => a.action)).toEqual(['keep', 'keep', 'keep', 'keep']);
    expect(isNoop(p)).toBe(true);
  });

  it.each([
    ['image', (y: string) => y.replace('web:\n    image: busybox:latest', 'web:\n    image: busybox:1.36'), 'web', 'image busybox:latest → busybox:1.36'],
    ['command', (y: string) => y.replace('api:\n    image: busybox:latest\n    command: ["sleep", "100"]', 'api:\n    image: busybox:latest\n    command: ["sleep", "200"]'), 'api', 'command changed'],
    ['healthcheck', (y: string) => y.replace('{test: ["CMD", "true"]}', '{test: ["CMD", "true"], interval: 2s}'), 'db', 'healthcheck changed'],
  ])('one change (%s): only that service updated, with a field-level reason', (_f, edit, entry, reason) => {
    const before = load();
    const after = load(edit(FLEET));
    const p = planSwarm(after, { ...empty, services: deployed(before) });
    const changed = p.actions.filter((a) => a.action !== 'keep');
    expect(changed.map((a) => [a.action, a.name, a.reasons])).toEqual([['update', entry, [reason]]]);
    expect(changed[0]!.version).toBeGreaterThanOrEqual(10);
  });

  it('a changed secret value: a new versioned secret, the service updated, the old secret removed', () => {
    const before = load();
    const old = planSwarm(before, empty).secrets[0]!;
    const after = load(FLEET, { TOKEN: 't1' });
    const p = planSwarm(after, { ...empty, services: deployed(before), secrets: [{ id: 's-old', name: old.name, labels: { [LABEL.fleet]: 'sw', [LABEL.origin]: before.origin } }] });
    expect(p.actions.filter((a) => a.action !== 'keep').map((a) => [a.name, a.reasons])).toEqual([['api', ['secrets changed']]]);
    expect(p.secrets.map((s) => s.action).sort()).toEqual(['create', 'remove']);
  });

  it('a service dropped from the manifest is removed, after the others', () => {
    const before = load();
    const after = load(FLEET.replace(/  web:[\s\S]*$/, ''));
    expect(actions(after, { ...empty, services: deployed(before) }).at(-1)).toEqual(['remove', 'web', 'no longer in the manifest']);
  });

  it('a service at an entry\'s name that dom0 did not create is blocked, never touched', () => {
    const m = load();
    const foreign = { ...deployed(m).find((s) => s.name === 'sw_db')!, labels: {} };
    const row = actions(m, { ...empty, services: [foreign] }).find((a) => a[1] === 'db');
    expect(row).toEqual(['blocked', 'db', 'service sw_db exists but dom0 did not create it for this fleet; remove or rename it']);
  });

  it('a service of this fleet from another manifest is blocked, and not removed as an orphan', () => {
    const m = load();
    const other = deployed(m).map((s) => ({ ...s, labels: { ...s.labels, [LABEL.origin]: '/elsewhere/dom0.yaml' } }));
    const p = planSwarm(load(FLEET.replace(/  web:[\s\S]*$/, '')), { ...empty, services: other });
    expect(p.actions.filter((a) => a.action === 'remove')).toEqual([]);
    expect(p.actions.filter((a) => a.action === 'blocked').map((a) => a.name).sort()).toEqual(['api', 'db', 'migrate']);
  });

  it('a network of the fleet\'s name that dom0 did not create is blocked', () => {
    const p = planSwarm(load(), { ...empty, networks: [{ id: 'x', name: 'sw', labels: {} }] });
    expect(p.networks[0]).toMatchObject({ action: 'blocked' });
  });

  it('a rolled-back update is planned again, saying so', () => {
    const before = load();
    const after = load(FLEET.replace('web:\n    image: busybox:latest', 'web:\n    image: busybox:1.36'));
    const services = deployed(before).map((s) => (s.name === 'sw_web' ? { ...s, updateState: 'rollback_completed', updateMessage: 'update rolled back due to failure or early termination of task' } : s));
    const web = planSwarm(after, { ...empty, services }).actions.find((a) => a.name === 'web')!;
    expect(web.action).toBe('update');
    expect(web.reasons[1]).toContain('the last update was rolled back');
  });
});
