// Issue 9's three cases on a real engine: two manifests without `name:`, a container made from a
// committed image, and image-declared VOLUME data across `down` + `apply` (and a path changing kind).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  BUSYBOX,
  cleanupFleet,
  describeEngine,
  docker,
  execIn,
  runDom0,
  tmpDir,
  writeManifest,
} from '../support/engine.js';
import { inspectOrUndefined, readThroughVolumesFrom, removeVolumeQuietly, volumeAt, volumeExists } from './fixtures/core-helpers.js';

const sleepy = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

async function applyCode(file: string, extra: string[] = []) {
  const r = await runDom0(['apply', '-f', file, ...extra]);
  return { ...r, text: r.stdout + r.stderr };
}

async function removeContainers(names: string[]) {
  for (const n of names) await docker().getContainer(n).remove({ force: true, v: true }).catch(() => undefined);
}

describeEngine('data safety: two manifests without name:', () => {
  const root = tmpDir('dom0-ds1-');
  // Same directory name under two parents: the same default fleet name, two different manifests.
  const shop = writeManifest(path.join(root, 'a', 'site'), manifestFor('ds1-shop'));
  const blog = writeManifest(path.join(root, 'b', 'site'), manifestFor('ds1-blog'));
  const names = ['ds1-shop', 'ds1-shop-data', 'ds1-blog', 'ds1-blog-data'];

  function manifestFor(app: string) {
    return `volume_containers:\n  ${app}-data:\n    image: ${BUSYBOX}\n    paths: [/data]\nservices:\n  ${app}:\n    image: ${BUSYBOX}\n    command: ${sleepy}\n    volumes_from: [${app}-data]\n`;
  }

  afterAll(async () => {
    await runDom0(['down', '--volumes', '-f', shop]);
    await removeContainers(names);
  });

  it('applying one never removes the other; down --volumes of one never removes the other', async () => {
    expect((await applyCode(shop)).code).toBe(0);
    await execIn('ds1-shop', ['sh', '-c', 'echo rows > /data/shop.txt']);
    const shopId = (await inspectOrUndefined('ds1-shop'))!.Id;

    const b = await applyCode(blog);
    // blog converges or reports shop's containers as blocked: never removes them.
    expect(b.text).not.toMatch(/ds1-shop: remove/);
    expect((await inspectOrUndefined('ds1-shop'))?.Id).toBe(shopId);
    expect((await inspectOrUndefined('ds1-shop'))?.State.Running).toBe(true);

    const d = await runDom0(['down', '--volumes', '-f', blog]);
    expect(d.code, d.stderr).toBe(0);
    expect(await inspectOrUndefined('ds1-blog')).toBeUndefined();
    expect(await inspectOrUndefined('ds1-blog-data')).toBeUndefined();
    expect((await inspectOrUndefined('ds1-shop'))?.Id).toBe(shopId);
    expect(await readThroughVolumesFrom('ds1-shop-data', '/data/shop.txt')).toBe('rows\n');
  });

  it('with the same name: in both, the other manifest\'s containers are reported blocked, not removed', async () => {
    const shopNamed = writeManifest(path.join(root, 'c', 'site'), `name: ds1same\n${manifestFor('ds1n-shop')}`);
    const blogNamed = writeManifest(path.join(root, 'd', 'site'), `name: ds1same\n${manifestFor('ds1n-blog')}`);
    try {
      expect((await applyCode(shopNamed)).code).toBe(0);
      await execIn('ds1n-shop', ['sh', '-c', 'echo rows > /data/shop.txt']);
      const b = await runDom0(['apply', '--json', '-f', blogNamed]);
      expect(b.code).toBe(1);
      const r = JSON.parse(b.stdout) as { actions: Array<{ name: string; action: string; status: string; reasons: string[] }> };
      const shopRow = r.actions.find((a) => a.name === 'ds1n-shop')!;
      expect(shopRow.status).toBe('blocked');
      expect(shopRow.reasons.join(' ')).toContain(path.join(root, 'c', 'site'));
      expect(r.actions.find((a) => a.name === 'ds1n-blog')?.status).toBe('ok');
      expect((await inspectOrUndefined('ds1n-shop'))?.State.Running).toBe(true);
      expect((await runDom0(['down', '--volumes', '-f', blogNamed])).code).toBe(0);
      expect(await inspectOrUndefined('ds1n-blog')).toBeUndefined();
      expect(await readThroughVolumesFrom('ds1n-shop-data', '/data/shop.txt')).toBe('rows\n');
      expect((await inspectOrUndefined('ds1n-shop'))?.State.Running).toBe(true);
    } finally {
      await runDom0(['down', '--volumes', '-f', shopNamed]);
      await removeContainers(['ds1n-shop', 'ds1n-shop-data', 'ds1n-blog', 'ds1n-blog-data']);
      await cleanupFleet('ds1same');
    }
  });
});

describeEngine('data safety: a container made from a committed image', () => {
  const dir = tmpDir('dom0-ds2-');
  const file = writeManifest(dir, `name: ds2\nservices:\n  ds2-app:\n    image: ${BUSYBOX}\n    command: ${sleepy}\n    restart: always\n`);

  beforeAll(async () => {
    expect((await applyCode(file)).code).toBe(0);
    await docker().getContainer('ds2-app').commit({ repo: 'ds2-snapshot', tag: 'latest' });
    const c = await docker().createContainer({ name: 'ds2-handmade', Image: 'ds2-snapshot:latest', Cmd: ['sleep', '600'], Volumes: { '/keep': {} } });
    await c.start();
    await execIn('ds2-handmade', ['sh', '-c', 'echo mine > /keep/file']);
  });
  afterAll(async () => {
    await removeContainers(['ds2-handmade', 'ds2-app']);
    await cleanupFleet('ds2');
    await docker().getImage('ds2-snapshot:latest').remove({ force: true }).catch(() => undefined);
  });

  it('is not dom0\'s: plan, status and down --volumes leave it and its volume alone', async () => {
    const keep = volumeAt(await inspectOrUndefined('ds2-handmade'), '/keep');
    const p = await runDom0(['plan', '--json', '-f', file]);
    expect(p.stdout).not.toContain('ds2-handmade');
    const s = await runDom0(['status', '--json', '-f', file]);
    expect(s.stdout).not.toContain('ds2-handmade');
    const d = await runDom0(['down', '--volumes', '-f', file]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout + d.stderr).not.toContain('ds2-handmade');
    expect((await inspectOrUndefined('ds2-handmade'))?.State.Running).toBe(true);
    expect(await volumeExists(keep)).toBe(true);
    expect((await execIn('ds2-handmade', ['cat', '/keep/file'])).stdout).toBe('mine\n');
  });

  it('run under the entry\'s own name, it is still not dom0\'s: blocked, never kept as managed', async () => {
    await removeContainers(['ds2-app']);
    const c = await docker().createContainer({ name: 'ds2-app', Image: 'ds2-snapshot:latest', Cmd: ['sleep', '600'] });
    await c.start();
    const p = await runDom0(['plan', '--json', '-f', file]);
    const row = (JSON.parse(p.stdout) as { actions: Array<{ name: string; action: string; reasons: string[] }> }).actions.find((a) => a.name === 'ds2-app')!;
    expect(row.action).toBe('blocked');
    expect(row.reasons.join(' ')).toContain('not managed by dom0');
    // status shows none of its inherited labels (the image carries io.dom0.restart too)
    const s = await runDom0(['status', '--json', '-f', file]);
    const entry = (JSON.parse(s.stdout) as { entries: Array<{ name: string; sync: string; restart?: string }> }).entries.find((e) => e.name === 'ds2-app')!;
    expect(entry.sync).toBe('unmanaged');
    expect(entry.restart).toBeUndefined();
  });
});

describeEngine('data safety: image-declared VOLUME data', () => {
  const dir = tmpDir('dom0-ds3-');
  const image = 'ds3-db:latest';
  const manifest = (volumes = '') =>
    `name: ds3\nservices:\n  ds3-db:\n    image: ${image}\n    command: ${sleepy}\n${volumes}`;
  const file = writeManifest(dir, manifest());
  let backing = '';

  beforeAll(async () => {
    const seed = await docker().createContainer({ name: 'ds3-seed', Image: BUSYBOX, Cmd: ['true'] });
    await seed.commit({ repo: 'ds3-db', tag: 'latest', changes: 'VOLUME /var/lib/db' });
    await seed.remove({ force: true });
  });
  afterAll(async () => {
    await runDom0(['down', '--volumes', '-f', file]);
    await removeContainers(['ds3-db', 'ds3-db.dom0-next', 'ds3-seed']);
    await cleanupFleet('ds3');
    if (backing) await removeVolumeQuietly(backing);
    await docker().getImage(image).remove({ force: true }).catch(() => undefined);
  });

  it('lives in a named volume dom0 labels, and survives down + apply', async () => {
    expect((await applyCode(file)).code).toBe(0);
    backing = volumeAt(await inspectOrUndefined('ds3-db'), '/var/lib/db');
    expect(backing).toMatch(/^ds3_ds3-db_[0-9a-f]{12}$/);
    const labels = (await docker().getVolume(backing).inspect()).Labels ?? {};
    expect(labels['io.dom0.fleet']).toBe('ds3');
    expect(labels['io.dom0.path']).toBe('/var/lib/db');
    await execIn('ds3-db', ['sh', '-c', 'echo row1 > /var/lib/db/table']);

    expect((await runDom0(['down', '-f', file])).code).toBe(0);
    expect(await inspectOrUndefined('ds3-db')).toBeUndefined();
    expect(await volumeExists(backing)).toBe(true);
    expect((await applyCode(file)).code).toBe(0);
    expect(volumeAt(await inspectOrUndefined('ds3-db'), '/var/lib/db')).toBe(backing);
    expect((await execIn('ds3-db', ['cat', '/var/lib/db/table'])).stdout).toBe('row1\n');
  });

  it('an anonymous volume of a container taken over is carried into the backing volume', async () => {
    await runDom0(['down', '--volumes', '-f', file]);
    expect(await volumeExists(backing)).toBe(false);
    const c = await docker().createContainer({ name: 'ds3-db', Image: image, Cmd: ['sleep', '600'] });
    await c.start();
    await execIn('ds3-db', ['sh', '-c', 'mkdir -p /var/lib/db/sub && echo old > /var/lib/db/sub/row']);
    const anonymous = volumeAt(await inspectOrUndefined('ds3-db'), '/var/lib/db');
    const r = await applyCode(file, ['--adopt']);
    expect(r.code, r.text).toBe(0);
    expect(volumeAt(await inspectOrUndefined('ds3-db'), '/var/lib/db')).toBe(backing);
    expect((await execIn('ds3-db', ['cat', '/var/lib/db/sub/row'])).stdout).toBe('old\n');
    expect(await volumeExists(anonymous)).toBe(true); // left as it was
    await removeVolumeQuietly(anonymous);
  });

  it('a path changing from its own volume to a bind is blocked unless --accept-data-loss', async () => {
    mkdirSync(path.join(dir, 'dbdir'), { recursive: true });
    writeManifest(dir, manifest('    volumes: ["./dbdir:/var/lib/db"]\n'));
    const id = (await inspectOrUndefined('ds3-db'))!.Id;
    const p = await runDom0(['plan', '--json', '-f', file]);
    const row = (JSON.parse(p.stdout) as { actions: Array<{ name: string; action: string; reasons: string[] }> }).actions.find((a) => a.name === 'ds3-db')!;
    expect(row.action).toBe('blocked');
    expect(row.reasons.join(' ')).toContain('--accept-data-loss');
    expect((await applyCode(file)).code).toBe(1);
    expect((await inspectOrUndefined('ds3-db'))?.Id).toBe(id);
    const r = await applyCode(file, ['--accept-data-loss']);
    expect(r.code, r.text).toBe(0);
    expect((await inspectOrUndefined('ds3-db'))?.Id).not.toBe(id);
    expect(await volumeExists(backing)).toBe(true); // the data is still there, not mounted
  });
});
