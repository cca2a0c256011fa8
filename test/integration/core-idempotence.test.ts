// Re-applying an unchanged manifest plans only keep/done and touches nothing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, type ContainerInfo } from '../support/engine.js';
import {
  actionMap,
  applyJson,
  fleetByName,
  logLines,
  manifestFile,
  planJson,
  renderFixture,
  statusJson,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-idem';
const P = 'cidem';
const n = (s: string) => `${P}-${s}`;
const ENTRIES = ['home', 'www', 'fetch', 'shell', 'web', 'db', 'app', 'server', 'client'].map(n);

/** What a container's identity and lifecycle look like; a no-op apply must change none of it. */
function fingerprint(c: ContainerInfo) {
  return {
    id: c.id,
    state: c.state,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    restartCount: c.restartCount,
    hash: c.labels['io.dom0.config-hash'],
  };
}

describeEngine('core: idempotence', () => {
  let file: string;
  let before: Record<string, ContainerInfo>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-reference.yaml', { FLEET, P }));
    const first = await applyJson(file);
    expect(first.json.converged).toBe(true);
    before = await fleetByName(FLEET);
    expect(Object.keys(before).sort()).toEqual([...ENTRIES].sort());
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('plans only keep (and done for the job) after the first apply', async () => {
    const p = await planJson(file);
    expect(p.json.fleet).toBe(FLEET);
    const expected = Object.fromEntries(ENTRIES.map((e) => [e, e === n('fetch') ? 'done' : 'keep']));
    expect(actionMap(p.json.actions)).toEqual(expected);
    // keep carries no reason to change anything
    for (const a of p.json.actions) {
      if (a.action === 'keep') expect(a.reasons, a.name).toEqual([]);
    }
    // the plan is read-only
    expect(Object.values(await fleetByName(FLEET)).map(fingerprint)).toEqual(Object.values(before).map(fingerprint));
  });

  it('a second apply exits 0, reports keep/done ok, and changes no container', async () => {
    const second = await applyJson(file);
    expect(second.json.converged).toBe(true);
    expect(actionMap(second.json.actions)).toEqual(
      Object.fromEntries(ENTRIES.map((e) => [e, e === n('fetch') ? 'done' : 'keep'])),
    );
    for (const a of second.json.actions) expect(a.status, a.name).toBe('ok');
    // nothing was created, replaced or restarted: no network-created, every action keep/done
    const events = logLines(second.stderr);
    expect(events.filter((l) => l.event === 'network-created')).toEqual([]);

    const after = await fleetByName(FLEET);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const name of Object.keys(before)) {
      expect(fingerprint(after[name]!), name).toEqual(fingerprint(before[name]!));
    }
  });

  it('a third plan is still all keep/done and status says in sync', async () => {
    const p = await planJson(file);
    expect(new Set(p.json.actions.map((a) => a.action))).toEqual(new Set(['keep', 'done']));
    const s = await statusJson(file);
    expect(s.json.entries.map((e) => [e.name, e.sync])).toEqual(
      expect.arrayContaining(ENTRIES.map((e) => [e, 'in sync'])),
    );
    expect(s.json.entries).toHaveLength(ENTRIES.length);
  });
});
