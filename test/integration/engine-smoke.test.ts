// Proves the test engine and the helpers in test/support/engine.ts work — independent of dom0 itself.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BUSYBOX,
  FLEET_LABEL,
  TEST_DOCKER_HOST,
  cleanupFleet,
  containersOf,
  describeEngine,
  docker,
  execIn,
  logsOf,
  tmpDir,
  waitContainer,
  writeManifest,
} from '../support/engine.js';
import { existsSync, readFileSync } from 'node:fs';

const FLEET = 'dom0smoke';
const NET = FLEET; // dom0 names a fleet's network after the fleet
const labels = { [FLEET_LABEL]: FLEET };
const EXTRA = ['dom0smoke-unlabelled'];

describeEngine('test engine smoke', () => {
  beforeAll(async () => {
    await cleanupFleet(FLEET, EXTRA);
  });
  afterAll(async () => {
    await cleanupFleet(FLEET, EXTRA);
  });

  it('answers on the test socket', async () => {
    const d = docker();
    expect(String(await d.ping())).toBe('OK');
    const v = await d.version();
    expect(v.ApiVersion).toMatch(/^1\.\d+$/);
    expect(TEST_DOCKER_HOST).toMatch(/^(unix|tcp|http):\/\//);
  });

  it('has the local busybox images', async () => {
    const d = docker();
    const img = await d.getImage(BUSYBOX).inspect();
    const alias = await d.getImage('dom0-test/busybox:latest').inspect();
    expect(alias.Id).toBe(img.Id);
    expect(img.Config.Cmd).toEqual(['/bin/sh']);
  });

  it('connects containers on a user-defined bridge network by alias and publishes ports', async () => {
    const d = docker();
    await d.createNetwork({ Name: NET, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    const web = await d.createContainer({
      name: `${FLEET}-web`,
      Image: BUSYBOX,
      Labels: labels,
      Cmd: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        NetworkMode: NET,
        Init: true,
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, // ephemeral host port
      },
      NetworkingConfig: { EndpointsConfig: { [NET]: { Aliases: ['webalias'] } } },
    });
    await web.start();
    const client = await d.createContainer({
      name: `${FLEET}-client`,
      Image: BUSYBOX,
      Labels: labels,
      Cmd: ['sleep', '600'],
      HostConfig: { NetworkMode: NET, Init: true },
    });
    await client.start();

    const r = await execIn(`${FLEET}-client`, [
      'sh',
      '-c',
      // NB: Debian's static busybox 1.35 wget segfaults with -T; bound it with timeout(1) instead
      'for i in $(seq 1 100); do timeout 3 wget -q -O - http://webalias:8080/ && exit 0; sleep 0.1; done; exit 1',
    ]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout.trim()).toBe('hello-from-web');

    // published on 127.0.0.1 through the userland proxy
    const ports = (await web.inspect()).NetworkSettings.Ports['8080/tcp'];
    const hostPort = Number(ports?.[0]?.HostPort);
    expect(hostPort).toBeGreaterThan(0);
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await fetch(`http://127.0.0.1:${hostPort}/`).then((res) => res.text(), () => '');
      if (body === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toBe('hello-from-web\n');

    const failing = await execIn(`${FLEET}-client`, ['sh', '-c', 'echo to-stderr >&2; exit 7']);
    expect(failing).toEqual({ code: 7, stdout: '', stderr: 'to-stderr\n' });
  });

  it('shares a -v /data volume container through VolumesFrom', async () => {
    const d = docker();
    // a volume container: created, never started, with an anonymous volume at /data
    await d.createContainer({ name: `${FLEET}-data`, Image: BUSYBOX, Labels: labels, Volumes: { '/data': {} }, Cmd: ['true'] });
    const writer = await d.createContainer({
      name: `${FLEET}-writer`,
      Image: BUSYBOX,
      Labels: labels,
      Cmd: ['sh', '-c', 'echo written-by-writer > /data/proof'],
      HostConfig: { VolumesFrom: [`${FLEET}-data`] },
    });
    await writer.start();
    expect(await waitContainer(`${FLEET}-writer`)).toBe(0);

    const reader = await d.createContainer({
      name: `${FLEET}-reader`,
      Image: BUSYBOX,
      Labels: labels,
      Cmd: ['cat', '/data/proof'],
      HostConfig: { VolumesFrom: [`${FLEET}-data:ro`] },
    });
    await reader.start();
    expect(await waitContainer(`${FLEET}-reader`)).toBe(0);
    expect((await logsOf(`${FLEET}-reader`)).stdout).toBe('written-by-writer\n');

    const data = await d.getContainer(`${FLEET}-data`).inspect();
    expect(data.Mounts.map((m) => m.Destination)).toEqual(['/data']);
  });

  it('lists a fleet with containersOf and removes it with cleanupFleet', async () => {
    const d = docker();
    await d.createContainer({ name: EXTRA[0], Image: BUSYBOX, Cmd: ['true'] });
    const fleet = await containersOf(FLEET);
    expect(fleet.map((c) => c.name)).toEqual([
      `${FLEET}-client`,
      `${FLEET}-data`,
      `${FLEET}-reader`,
      `${FLEET}-web`,
      `${FLEET}-writer`,
    ]);
    const web = fleet.find((c) => c.name === `${FLEET}-web`)!;
    expect(web).toMatchObject({ state: 'running', running: true, labels: { [FLEET_LABEL]: FLEET } });
    expect(web.startedAt).toMatch(/^\d{4}-/);
    expect(web.finishedAt).toBeUndefined();
    const data = fleet.find((c) => c.name === `${FLEET}-data`)!;
    expect(data).toMatchObject({ state: 'created', running: false, startedAt: undefined });
    const writer = fleet.find((c) => c.name === `${FLEET}-writer`)!;
    expect(writer).toMatchObject({ state: 'exited', exitCode: 0 });
    // NB: no ordering check — for a container that exits at once, Docker's FinishedAt (containerd's
    // exit event) can precede its StartedAt (set by dockerd) by a millisecond or so.
    expect(writer.startedAt).toMatch(/^\d{4}-/);
    expect(writer.finishedAt).toMatch(/^\d{4}-/);

    const volume = data.inspect.Mounts[0]!.Name!;
    await cleanupFleet(FLEET, EXTRA);
    expect(await containersOf(FLEET)).toEqual([]);
    await expect(d.getContainer(EXTRA[0]!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(d.getNetwork(NET).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(d.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // idempotent
    await cleanupFleet(FLEET, EXTRA);
  });

  it('writes manifests into temp dirs', () => {
    const dir = tmpDir();
    const p = writeManifest(dir, 'name: x\n');
    expect(p).toBe(`${dir}/dom0.yaml`);
    expect(existsSync(p) && readFileSync(p, 'utf8')).toBe('name: x\n');
  });
});
