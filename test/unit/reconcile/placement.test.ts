// Placement: which entries a host runs (pure, host facts as input), what the plan says about the
// others, and where the host's facts come from (docker info, DOM0_HOSTNAME, the labels file).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlacementConstraint, type PlacementConstraint } from '../../../src/manifest/placement.js';
import { hostFacts, hostOptionsFromEnv, parseHostLabels, placeManifest } from '../../../src/reconcile/host-facts.js';
import { type HostFacts, placeOnHost, unmet } from '../../../src/reconcile/placement.js';
import { plan } from '../../../src/reconcile/plan.js';
import { apply } from '../../../src/reconcile/apply.js';
import { status } from '../../../src/reconcile/status.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { container, manifest, observed, svc, vol } from './build.js';

const c = (text: string): PlacementConstraint => {
  const r = parsePlacementConstraint(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const HOST: HostFacts = {
  hostname: 'web-1',
  engineLabels: { role: 'edge', zone: 'a' },
  nodeLabels: { role: 'edge', zone: 'b', disk: 'ssd' },
  os: 'linux',
  arch: 'x86_64',
};

describe('unmet', () => {
  it.each([
    ['node.hostname == web-1', undefined],
    ['node.hostname == WEB-1', undefined],
    ['node.hostname == web-*', undefined],
    ['node.hostname == db-*', 'node.hostname == db-* (host value "web-1")'],
    ['node.hostname != web-*', 'node.hostname != web-* (host value "web-1")'],
    ['node.hostname != db-1', undefined],
    ['engine.labels.role == edge', undefined],
    ['engine.labels.zone == a', undefined],
    ['engine.labels.zone == b', 'engine.labels.zone == b (host value "a")'],
    ['engine.labels.disk == ssd', 'engine.labels.disk == ssd (host has no engine label "disk")'],
    ['engine.labels.disk != ssd', undefined],
    ['node.labels.zone == b', undefined], // the labels file wins over the engine's label
    ['node.labels.disk == ssd', undefined],
    ['node.labels.Disk == SSD', undefined],
    ['node.labels.gpu == yes', 'node.labels.gpu == yes (host has no node label "gpu")'],
    ['node.platform.os == linux', undefined],
    ['node.platform.os == windows', 'node.platform.os == windows (host value "linux")'],
    ['node.platform.arch == x86_64', undefined],
    ['node.platform.arch == amd64', undefined],
    ['node.platform.arch == arm64', 'node.platform.arch == arm64 (host value "x86_64")'],
    ['node.role == manager', undefined],
    ['node.role != manager', undefined],
    ['node.id == abc', undefined],
  ])('%s → %s', (text, expected) => {
    expect(unmet(c(text), HOST)).toBe(expected);
  });
});

describe('placeOnHost', () => {
  it('keeps the entries whose constraints all hold and says why the others are not here', () => {
    const web = svc('web', { placement: [c('node.hostname == web-*'), c('engine.labels.role == edge')] });
    const db = svc('db', { placement: [c('node.hostname == db-*')] });
    const both = svc('both', { placement: [c('node.hostname == web-*'), c('node.labels.zone == a'), c('node.platform.os == windows')] });
    const free = svc('free');
    const { manifest: m, placement } = placeOnHost(manifest({ services: [web, db, both, free], volumes: [vol('data')] }), HOST);
    expect(m.services.map((s) => s.name)).toEqual(['web', 'free']);
    expect(m.volumeContainers.map((v) => v.name)).toEqual(['data']);
    expect(placement.notPlaced).toEqual([
      { entry: 'both', kind: 'service', reason: 'not placed on this host: node.labels.zone == a (host value "b"); node.platform.os == windows (host value "linux")' },
      { entry: 'db', kind: 'service', reason: 'not placed on this host: node.hostname == db-* (host value "web-1")' },
    ]);
  });

  it('a depends_on on an entry placed elsewhere is treated as met, with a note', () => {
    const db = svc('db', { placement: [c('node.hostname == db-*')] });
    const web = svc('web', { dependsOn: [{ name: 'db', condition: 'service_healthy', restart: false, required: true }] });
    const { manifest: m, placement } = placeOnHost(manifest({ services: [db, web] }), HOST);
    expect(m.services.map((s) => [s.name, s.dependsOn.length])).toEqual([['web', 0]]);
    expect(placement.notes).toEqual(['web: depends_on db, which is not placed on this host: treated as met']);
  });

  it('an entry sharing a container with one placed elsewhere follows it (network_mode, volumes_from)', () => {
    const app = svc('app', { placement: [c('node.hostname == db-*')] });
    const sidecar = svc('sidecar', { dependsOn: [{ name: 'app', condition: 'service_started', restart: false, required: true, implicit: 'network_mode' }] });
    const reader = svc('reader', { dependsOn: [{ name: 'sidecar', condition: 'service_started', restart: false, required: true, implicit: 'volumes_from' }] });
    const { manifest: m, placement } = placeOnHost(manifest({ services: [app, sidecar, reader] }), HOST);
    expect(m.services).toEqual([]);
    expect(placement.notPlaced.map((n) => [n.entry, n.reason])).toEqual([
      ['app', 'not placed on this host: node.hostname == db-* (host value "web-1")'],
      ['reader', 'not placed on this host: it needs sidecar (volumes_from), which is not placed here'],
      ['sidecar', 'not placed on this host: it needs app (network_mode), which is not placed here'],
    ]);
  });
});

describe('the plan of a host', () => {
  it('removes the container of an entry placed elsewhere, with the reason; keeps a volume container', () => {
    const web = svc('web', { placement: [c('node.hostname == db-*')] });
    const data = vol('data');
    const full = manifest({ services: [web], volumes: [data] });
    const { manifest: m, placement } = placeOnHost(full, HOST);
    const p = plan(m, observed([container(web), container(data)]), { placement });
    expect(p.actions.map((a) => [a.name, a.action, a.reasons[0]])).toEqual([
      ['data', 'keep', undefined],
      ['web', 'remove', 'not placed on this host: node.hostname == db-* (host value "web-1")'],
    ]);
    expect(p.actions.find((a) => a.name === 'web')!.reasons).toContain('removed; its volumes are kept');
    expect(p.placement?.notPlaced.map((n) => n.entry)).toEqual(['web']);
  });

  it('an entry that was never here: nothing to do, listed in the plan', () => {
    const web = svc('web', { placement: [c('engine.labels.role == db')] });
    const { manifest: m, placement } = placeOnHost(manifest({ services: [web] }), HOST);
    const p = plan(m, observed([]), { placement });
    expect(p.actions).toEqual([]);
    expect(p.placement?.notPlaced).toEqual([{ entry: 'web', kind: 'service', reason: 'not placed on this host: engine.labels.role == db (host value "edge")' }]);
  });

  it('a placed entry keeps its container: placement is not part of the config hash', () => {
    const before = svc('web');
    const after = svc('web', { placement: [c('node.hostname == web-*')] });
    const { manifest: m, placement } = placeOnHost(manifest({ services: [after] }), HOST);
    expect(plan(m, observed([container(before)]), { placement }).actions.map((a) => a.action)).toEqual(['keep']);
  });
});

describe('host facts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dom0-placement-unit-'));

  it('name and labels from docker info, DOM0_HOSTNAME over the name, the labels file over node.labels only', async () => {
    const engine = new MemoryEngine();
    engine.hostInfo = { name: 'box-7', labels: { role: 'edge', zone: 'a' }, os: 'linux', arch: 'aarch64', swarm: 'inactive' };
    const file = path.join(dir, 'labels');
    writeFileSync(file, '# this host\nzone = b\n\ndisk=ssd\n');
    expect(await hostFacts(engine, { labelsFile: file })).toEqual({
      hostname: 'box-7',
      engineLabels: { role: 'edge', zone: 'a' },
      nodeLabels: { role: 'edge', zone: 'b', disk: 'ssd' },
      os: 'linux',
      arch: 'aarch64',
    });
    expect((await hostFacts(engine, { hostname: 'web-3', labelsFile: file })).hostname).toBe('web-3');
  });

  it('a labels file that was named but cannot be read is an error; a bad line too', async () => {
    const engine = new MemoryEngine();
    await expect(hostFacts(engine, { labelsFile: path.join(dir, 'missing') })).rejects.toThrow(/cannot read the host labels file/);
    const bad = path.join(dir, 'bad');
    writeFileSync(bad, 'zone=a\njust-a-word\n');
    await expect(hostFacts(engine, { labelsFile: bad })).rejects.toThrow('line 2: expected KEY=VALUE, got "just-a-word"');
  });

  it.each([
    ['a=1\nb = two words \n', { a: '1', b: 'two words' }],
    ['# c\n\nk=v=w\n', { k: 'v=w' }],
    ['k=\n', { k: '' }],
  ])('parseHostLabels %j', (text, expected) => {
    expect(parseHostLabels(text)).toEqual({ ok: true, value: expected });
  });

  it('DOM0_HOSTNAME and DOM0_HOST_LABELS', () => {
    expect(hostOptionsFromEnv({ DOM0_HOSTNAME: 'h', DOM0_HOST_LABELS: '/x' })).toEqual({ hostname: 'h', labelsFile: '/x' });
    expect(hostOptionsFromEnv({})).toEqual({});
  });

  it('a manifest without constraints never asks the engine', async () => {
    const engine = new MemoryEngine();
    expect(await placeManifest(manifest({ services: [svc('web')] }), engine)).toBeUndefined();
    expect(engine.calls.info).toBeUndefined();
    const swarm = { ...manifest({ services: [svc('web', { placement: [c('node.hostname == x')] })] }), target: 'swarm' as const };
    expect(await placeManifest(swarm, engine), 'under target: swarm the scheduler places').toBeUndefined();
    expect(engine.calls.info).toBeUndefined();
  });
});

describe('apply and status on a host (in-memory engine)', () => {
  it('runs only what is placed here; a host renamed removes the entry that left, status has no row for it', async () => {
    const e = new MemoryEngine();
    e.addImage('busybox:latest');
    e.hostInfo = { ...e.hostInfo, name: 'web-1', labels: { role: 'edge' } };
    const m = manifest({
      services: [svc('web', { placement: [c('node.hostname == web-*')] }), svc('edge', { placement: [c('engine.labels.role == edge')] }), svc('db', { placement: [c('node.hostname == db-*')] })],
    });
    const opts = { pull: { stateDir: null, env: {} }, sleep: async () => undefined, host: {} };
    const first = await apply(m, e, opts);
    expect(first.converged).toBe(true);
    expect([...e.containers.values()].map((x) => x.name).sort()).toEqual(['edge', 'web']);
    // what dom0 up schedules and supervises: the manifest as this host applied it
    expect(first.manifest.services.map((x) => x.name).sort()).toEqual(['edge', 'web']);
    expect((await status(m, e)).map((r) => [r.name, r.sync])).toEqual([
      ['web', 'in sync'],
      ['edge', 'in sync'],
    ]);

    e.hostInfo = { ...e.hostInfo, name: 'db-1' };
    expect((await status(m, e)).map((r) => [r.name, r.sync])).toEqual([
      ['edge', 'in sync'],
      ['db', 'missing'],
      ['web', 'orphan'],
    ]);
    const second = await apply(m, e, opts);
    expect(second.converged).toBe(true);
    expect(second.plan.actions.find((a) => a.name === 'web')).toMatchObject({ action: 'remove', reasons: ['not placed on this host: node.hostname == web-* (host value "db-1")', 'removed; its volumes are kept'] });
    expect([...e.containers.values()].map((x) => x.name).sort()).toEqual(['db', 'edge']);
  });
});
