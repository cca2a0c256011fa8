// Containers that hold an entry's name but were not created by dom0: blocked (and untouched)
// without --adopt; taken over with --adopt, a volume container keeping its data.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUSYBOX, FLEET_LABEL, describeEngine, docker, execIn, logsOf, waitContainer } from '../support/engine.js';
import {
  actionMap,
  actionsByName,
  applyJson,
  cleanupFleetAndVolumes,
  fleetByName,
  inspectOrUndefined,
  manifestFile,
  planJson,
  readThroughVolumesFrom,
  renderFixture,
  type ApplyJson,
  type Ran,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-adopt';
const WRITER = 'cad-handmade-writer';
const HANDMADE = ['cad-web', 'cad-vol', WRITER];

type Inspect = NonNullable<Awaited<ReturnType<typeof inspectOrUndefined>>>;

describeEngine('core: adopting containers dom0 did not create', () => {
  let file: string;
  let web0: Inspect;
  let vol0: Inspect;
  let volume0: string;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET, HANDMADE);
    file = manifestFile(renderFixture('core-adopt.yaml'));
    const d = docker();
    // a running service made by hand, on no network
    const web = await d.createContainer({
      name: 'cad-web',
      Image: BUSYBOX,
      Cmd: ['sleep', '2147483647'],
      Labels: { 'made-by': 'hand' },
      HostConfig: { NetworkMode: 'none', Init: true },
    });
    await web.start();
    // a volume container made by hand, with a file in its volume
    await d.createContainer({
      name: 'cad-vol',
      Image: BUSYBOX,
      Cmd: ['true'],
      Volumes: { '/data': {} },
      HostConfig: { NetworkMode: 'none' },
    });
    const writer = await d.createContainer({
      name: WRITER,
      Image: BUSYBOX,
      Cmd: ['sh', '-c', 'echo hand-made-data > /data/proof'],
      HostConfig: { NetworkMode: 'none', VolumesFrom: ['cad-vol'] },
    });
    await writer.start();
    expect(await waitContainer(WRITER), (await logsOf(WRITER)).stderr).toBe(0);
    await writer.remove();
    web0 = (await inspectOrUndefined('cad-web'))!;
    vol0 = (await inspectOrUndefined('cad-vol'))!;
    volume0 = vol0.Mounts.find((m) => m.Destination === '/data')!.Name!;
    expect(volume0).toBeTruthy();
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET, HANDMADE, volume0 ? [volume0] : []);
  });

  it('plan says blocked, "not managed by dom0", for both hand-made containers', async () => {
    const p = (await planJson(file)).json;
    expect(actionMap(p.actions)).toEqual({
      'cad-vol': 'blocked',
      'cad-web': 'blocked',
      'cad-reader': 'create',
      'cad-other': 'create',
    });
    const a = actionsByName(p.actions);
    for (const name of ['cad-vol', 'cad-web']) {
      expect(a[name]!.reasons.join('; '), name).toMatch(/not managed by dom0/);
      expect(a[name]!.reasons.join('; '), name).toMatch(/--adopt/);
    }
  });

  let blocked: Ran<ApplyJson>;

  it('apply without --adopt exits 1, leaves them untouched, skips what needs them, converges the rest', async () => {
    blocked = await applyJson(file, [], 1);
    expect(blocked.json.converged).toBe(false);
    expect(Object.fromEntries(blocked.json.actions.map((a) => [a.name, a.status]))).toEqual({
      'cad-vol': 'blocked',
      'cad-web': 'blocked',
      'cad-reader': 'skipped',
      'cad-other': 'ok',
    });
    const err = actionsByName(blocked.json.actions)['cad-web']!.error ?? '';
    expect(err).toMatch(/not managed by dom0/);
    expect(blocked.stderr).toMatch(/did not converge/);

    const web = (await inspectOrUndefined('cad-web'))!;
    expect(web.Id).toBe(web0.Id);
    expect(web.State.Running).toBe(true);
    expect(web.State.StartedAt).toBe(web0.State.StartedAt);
    expect(web.Config.Labels).toEqual({ 'made-by': 'hand' });
    const vol = (await inspectOrUndefined('cad-vol'))!;
    expect(vol.Id).toBe(vol0.Id);
    expect(vol.Config.Labels ?? {}).not.toHaveProperty(FLEET_LABEL);

    expect(await inspectOrUndefined('cad-reader')).toBeUndefined();
    const fleet = await fleetByName(FLEET);
    expect(Object.keys(fleet)).toEqual(['cad-other']);
    expect(fleet['cad-other']!.running).toBe(true);
  });

  it('plan --adopt plans to take both over', async () => {
    const p = (await planJson(file, ['--adopt'])).json;
    const a = actionsByName(p.actions);
    expect(a['cad-web']!.action).toBe('recreate');
    expect(a['cad-vol']!.action).toBe('recreate');
    expect(a['cad-web']!.reasons.join('; ')).toMatch(/adopts/);
    expect(a['cad-vol']!.reasons.join('; ')).toMatch(/adopts/);
    expect(a['cad-other']!.action).toBe('keep');
    expect(a['cad-reader']!.action).toBe('create');
  });

  it('apply --adopt takes them over and converges (exit 0)', async () => {
    const before = await fleetByName(FLEET);
    const r = await applyJson(file, ['--adopt']);
    expect(r.json.converged).toBe(true);
    for (const a of r.json.actions) expect(a.status, a.name).toBe('ok');

    const fleet = await fleetByName(FLEET);
    expect(Object.keys(fleet).sort()).toEqual(['cad-other', 'cad-reader', 'cad-vol', 'cad-web']);
    const web = fleet['cad-web']!;
    expect(web.id).not.toBe(web0.Id);
    expect(web.running).toBe(true);
    expect(web.labels).toMatchObject({ [FLEET_LABEL]: FLEET, 'io.dom0.kind': 'service', 'io.dom0.name': 'cad-web' });
    const vol = fleet['cad-vol']!;
    expect(vol.id).not.toBe(vol0.Id);
    expect(vol.state).toBe('created');
    expect(vol.labels).toMatchObject({ [FLEET_LABEL]: FLEET, 'io.dom0.kind': 'volume', 'io.dom0.name': 'cad-vol' });
    expect(fleet['cad-other']!.id).toBe(before['cad-other']!.id);
    expect(fleet['cad-reader']!.running).toBe(true);
    expect(await inspectOrUndefined('cad-web.dom0-next')).toBeUndefined();
    expect(await inspectOrUndefined('cad-vol.dom0-next')).toBeUndefined();
  });

  it('the adopted volume container keeps the hand-made one’s volume and data', async () => {
    const vol = (await inspectOrUndefined('cad-vol'))!;
    expect(vol.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(volume0);
    expect(await readThroughVolumesFrom('cad-vol', '/data/proof')).toBe('hand-made-data\n');
    expect(await execIn('cad-reader', ['cat', '/data/proof'])).toMatchObject({ code: 0, stdout: 'hand-made-data\n' });
  });

  it('after adoption a plain plan keeps everything', async () => {
    const p = (await planJson(file)).json;
    expect(actionMap(p.actions)).toEqual({
      'cad-vol': 'keep',
      'cad-web': 'keep',
      'cad-reader': 'keep',
      'cad-other': 'keep',
    });
  });
});
