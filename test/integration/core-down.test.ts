// `down` removes services and jobs (dependents first) and keeps volume containers and their data;
// `down --volumes` removes those too.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngine, docker, execIn, runDom0, type ContainerInfo } from '../support/engine.js';
import {
  applyJson,
  fleetByName,
  logLines,
  manifestFile,
  readThroughVolumesFrom,
  removeVolumeQuietly,
  renderFixture,
  volumeAt,
  volumeExists,
  cleanupFleetAndVolumes,
} from './fixtures/core-helpers.js';

const FLEET = 'dom0-core-down';
const leftovers: string[] = [];

async function networkExists(name: string): Promise<boolean> {
  const nets = await docker().listNetworks({ filters: { name: [name] } });
  return nets.some((n) => n.Name === name);
}

describeEngine('core: down', () => {
  let file: string;
  let first: Record<string, ContainerInfo>;

  beforeAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    file = manifestFile(renderFixture('core-down.yaml'));
    await applyJson(file);
    first = await fleetByName(FLEET);
    expect(Object.keys(first).sort()).toEqual(['cdn-db', 'cdn-init', 'cdn-vol', 'cdn-web']);
    leftovers.push(volumeAt(first['cdn-db']!, '/data'));
    // data edited after the first run: a later apply must find it again
    expect(await execIn('cdn-db', ['sh', '-c', 'echo edited > /keep/proof && echo anon > /data/proof'])).toMatchObject({
      code: 0,
    });
  });
  afterAll(async () => {
    await cleanupFleetAndVolumes(FLEET);
    for (const v of leftovers) await removeVolumeQuietly(v);
  });

  it('down removes services and jobs, dependents first, and keeps the volume container', async () => {
    const r = await runDom0(['down', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 3 containers/);
    expect(r.stdout).toMatch(/kept volume containers: cdn-vol/);

    const after = await fleetByName(FLEET);
    expect(Object.keys(after)).toEqual(['cdn-vol']);
    expect(after['cdn-vol']!.id).toBe(first['cdn-vol']!.id);
    expect(await readThroughVolumesFrom('cdn-vol', '/keep/proof')).toBe('edited\n');

    // web depends on db, db on init: removed in that order
    const removed = logLines(r.stderr)
      .filter((l) => l.event === 'action')
      .map((l) => l.entry);
    expect(removed).toEqual(['cdn-web', 'cdn-db', 'cdn-init']);
    expect(await networkExists(FLEET)).toBe(false);
  });

  it('apply after down reuses the kept volume container and its data', async () => {
    const r = await applyJson(file);
    expect(r.json.converged).toBe(true);
    const acts = Object.fromEntries(r.json.actions.map((a) => [a.name, a.action]));
    expect(acts).toEqual({ 'cdn-vol': 'keep', 'cdn-init': 'run', 'cdn-db': 'create', 'cdn-web': 'create' });
    const now = await fleetByName(FLEET);
    expect(now['cdn-vol']!.id).toBe(first['cdn-vol']!.id);
    expect(await execIn('cdn-db', ['cat', '/keep/proof'])).toMatchObject({ code: 0, stdout: 'edited\n' });
    leftovers.push(volumeAt(now['cdn-db']!, '/data'));
  });

  it('down --volumes removes the volume containers and their volumes too', async () => {
    const before = await fleetByName(FLEET);
    const volVolume = volumeAt(before['cdn-vol']!, '/keep');
    const dbVolume = volumeAt(before['cdn-db']!, '/data');
    const r = await runDom0(['down', '--volumes', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 4 containers/);
    expect(await fleetByName(FLEET)).toEqual({});
    expect(await volumeExists(volVolume)).toBe(false);
    expect(await volumeExists(dbVolume)).toBe(false);
    expect(await networkExists(FLEET)).toBe(false);
  });

  it('down on a fleet that is already down does nothing and exits 0', async () => {
    const r = await runDom0(['down', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 0 containers/);
  });
});
