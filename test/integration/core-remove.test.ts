// Entries that leave the manifest: services and jobs are removed (their volumes kept); a volume
// container is never removed, and neither is its data.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, type ContainerInfo } from '../support/engine.js';
import {
  actionMap,
  actionsByName,
  applyJson,
  fleetByName,
  inspectOrUndefined,
  manifestFile,
  planJson,
  readThroughVolumesFrom,
  removeVolumeQuietly,
  renderFixture,
  statusJson,
  volumeAt,
  volumeExists,
  type ApplyJson,
  type PlanJson,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';
import { writeFileSync } from 'node:fs';

const FLEET = 'dom0-core-remove';

describeEngine('core: removing entries from the manifest', () => {
  let file: string;
  let before: Record<string, ContainerInfo>;
  let goneVolume: string;
  let plan2: PlanJson;
  let apply2: ApplyJson;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-remove-v1.yaml'));
    await applyJson(file);
    before = await fleetByName(FLEET);
    expect(Object.keys(before).sort()).toEqual(['crm-fill', 'crm-gone', 'crm-stay', 'crm-vol']);
    goneVolume = volumeAt(before['crm-gone']!, '/data');

    writeFileSync(file, renderFixture('core-remove-v2.yaml'));
    plan2 = (await planJson(file)).json;
    apply2 = (await applyJson(file)).json;
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    if (goneVolume) await removeVolumeQuietly(goneVolume); // kept by dom0 on purpose; not labelled
  });

  it('plans remove for the orphaned service and job, keep for the volume container', () => {
    expect(actionMap(plan2.actions)).toEqual({
      'crm-stay': 'keep',
      'crm-gone': 'remove',
      'crm-fill': 'remove',
      'crm-vol': 'keep',
    });
    const a = actionsByName(plan2.actions);
    expect(a['crm-gone']!.kind).toBe('service');
    expect(a['crm-fill']!.kind).toBe('job');
    expect(a['crm-vol']!.kind).toBe('volume');
    expect(a['crm-gone']!.reasons.join('; ')).toMatch(/no longer in the manifest/);
    expect(a['crm-vol']!.reasons.join('; ')).toMatch(/never removed/);
  });

  it('apply removes the orphans and converges', async () => {
    expect(apply2.converged).toBe(true);
    expect(Object.fromEntries(apply2.actions.map((a) => [a.name, [a.action, a.status]]))).toEqual({
      'crm-stay': ['keep', 'ok'],
      'crm-gone': ['remove', 'ok'],
      'crm-fill': ['remove', 'ok'],
      'crm-vol': ['keep', 'ok'],
    });
    expect(await inspectOrUndefined('crm-gone')).toBeUndefined();
    expect(await inspectOrUndefined('crm-fill')).toBeUndefined();
  });

  it('keeps the removed service’s anonymous volume', async () => {
    expect(await volumeExists(goneVolume)).toBe(true);
  });

  it('keeps the volume container that left the manifest, and its data', async () => {
    const after = await fleetByName(FLEET);
    expect(Object.keys(after).sort()).toEqual(['crm-stay', 'crm-vol']);
    expect(after['crm-vol']!.id).toBe(before['crm-vol']!.id);
    expect(after['crm-vol']!.state).toBe('created');
    expect(after['crm-stay']!.id).toBe(before['crm-stay']!.id);
    expect(after['crm-stay']!.startedAt).toBe(before['crm-stay']!.startedAt);
    expect(await readThroughVolumesFrom('crm-vol', '/keep/proof')).toBe('kept-data\n');
  });

  it('status shows the kept volume container as an orphan; a new plan does not remove it', async () => {
    const s = await statusJson(file);
    const rows = Object.fromEntries(s.json.entries.map((e) => [e.name, e]));
    expect(rows['crm-vol']).toMatchObject({ kind: 'volume', sync: 'orphan', state: 'created' });
    expect(rows['crm-stay']).toMatchObject({ sync: 'in sync', state: 'running' });
    expect(rows['crm-gone']).toBeUndefined();

    const p = await planJson(file);
    expect(actionMap(p.json.actions)).toEqual({ 'crm-stay': 'keep', 'crm-vol': 'keep' });
    const again = await applyJson(file);
    expect(again.json.converged).toBe(true);
    expect((await inspectOrUndefined('crm-vol'))?.Id).toBe(before['crm-vol']!.id);
  });
});
