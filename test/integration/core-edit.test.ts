// Editing one service's environment recreates only it; entries bound to it (links, depends_on with
// restart: true) restart in place; everything else keeps its container; data survives.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, execIn, type ContainerInfo } from '../support/engine.js';
import {
  actionMap,
  actionsByName,
  applyJson,
  expectNoReplacements,
  fleetByName,
  manifestFile,
  ms,
  planJson,
  readThroughVolumesFrom,
  renderFixture,
  volumeAt,
  type PlanJson,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';
import { writeFileSync } from 'node:fs';

const FLEET = 'dom0-core-edit';
const API = 'ced-api';
const LINKED = 'ced-linked';
const FOLLOWER = 'ced-follower';
const UNTOUCHED = ['ced-shared', 'ced-plain', 'ced-other'];

describeEngine('core: editing one service', () => {
  let file: string;
  let before: Record<string, ContainerInfo>;
  let plan2: PlanJson;
  let after: Record<string, ContainerInfo>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-edit.yaml', { FOO: '1' }));
    await applyJson(file);
    // data written before the edit: into the volume container (through ced-api) and into ced-api's
    // own anonymous volume
    expect(await execIn(API, ['sh', '-c', 'echo in-volume-container > /shared/proof'])).toMatchObject({ code: 0 });
    expect(await execIn(API, ['sh', '-c', 'echo in-anonymous-volume > /data/proof'])).toMatchObject({ code: 0 });
    before = await fleetByName(FLEET);
    // Docker's StartedAt has sub-ms precision but tests compare ms: make "later" unambiguous
    await new Promise((r) => setTimeout(r, 1100));

    writeFileSync(file, renderFixture('core-edit.yaml', { FOO: '2' }));
    plan2 = (await planJson(file)).json;
    await applyJson(file);
    after = await fleetByName(FLEET);
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
  });

  it('plans recreate for the edited service with a field-level reason', () => {
    const a = actionsByName(plan2.actions);
    expect(a[API]!.action).toBe('recreate');
    expect(a[API]!.reasons).toContain('environment.FOO: changed');
    // nothing but the environment changed
    expect(a[API]!.reasons).toHaveLength(1);
  });

  it('plans restart for the linked service and the restart: true dependent, keep for the rest', () => {
    expect(actionMap(plan2.actions)).toEqual({
      'ced-shared': 'keep',
      [API]: 'recreate',
      [LINKED]: 'restart',
      [FOLLOWER]: 'restart',
      'ced-plain': 'keep',
      'ced-other': 'keep',
    });
    const a = actionsByName(plan2.actions);
    expect(a[LINKED]!.reasons.join('; ')).toMatch(/ced-api/);
    expect(a[FOLLOWER]!.reasons.join('; ')).toMatch(/ced-api/);
  });

  it('gives only the edited service a new container, running the new environment', async () => {
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after[API]!.id).not.toBe(before[API]!.id);
    expect(after[API]!.running).toBe(true);
    expect(after[API]!.inspect.Config.Env).toContain('FOO=2');
    const r = await execIn(API, ['sh', '-c', 'echo "$FOO"']);
    expect(r.stdout).toBe('2\n');
    await expectNoReplacements();
  });

  it('restarts the linked service and the restart: true dependent in place (same ID, new StartedAt)', () => {
    for (const name of [LINKED, FOLLOWER]) {
      expect(after[name]!.id, name).toBe(before[name]!.id);
      expect(after[name]!.running, name).toBe(true);
      expect(ms(after[name]!.startedAt), name).toBeGreaterThan(ms(before[name]!.startedAt));
      // restarted after the replacement started
      expect(ms(after[name]!.startedAt), name).toBeGreaterThanOrEqual(ms(after[API]!.startedAt) - 50);
    }
  });

  it('leaves every other container alone (same ID, same StartedAt)', () => {
    for (const name of UNTOUCHED) {
      expect(after[name]!.id, name).toBe(before[name]!.id);
      expect(after[name]!.state, name).toBe(before[name]!.state);
      expect(after[name]!.startedAt, name).toBe(before[name]!.startedAt);
    }
  });

  it("keeps the file in the volume container and the one in the recreated service's anonymous volume", async () => {
    // the same volumes are mounted…
    expect(volumeAt(after[API]!, '/data')).toBe(volumeAt(before[API]!, '/data'));
    expect(volumeAt(after[API]!, '/shared')).toBe(volumeAt(before['ced-shared']!, '/shared'));
    // …and the files are there
    expect(await execIn(API, ['cat', '/data/proof'])).toMatchObject({ code: 0, stdout: 'in-anonymous-volume\n' });
    expect(await execIn(API, ['cat', '/shared/proof'])).toMatchObject({ code: 0, stdout: 'in-volume-container\n' });
    expect(await readThroughVolumesFrom('ced-shared', '/shared/proof')).toBe('in-volume-container\n');
  });

  it('the new environment is visible to clients on the fleet network', async () => {
    const r = await execIn('ced-other', [
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do out=$(timeout 2 nc ced-api 7000 </dev/null) && [ -n "$out" ] && echo "$out" && exit 0; sleep 0.2; done; exit 1',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'api FOO=2\n' });
  });

  it('a further apply plans nothing', async () => {
    const p = await planJson(file);
    expect(new Set(p.json.actions.map((a) => a.action))).toEqual(new Set(['keep']));
  });
});
