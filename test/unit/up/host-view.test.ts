// ManifestLoader: one manifest seen from the host and from dom0's container gives one identity.
// The "host" and "container" are two directories on this machine; a fake engine says how dom0's
// container mounts the one at the other.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerDetails, Engine, MountInfo } from '../../../src/engine/engine.js';
import { formatDiagnostic } from '../../../src/manifest/load.js';
import { ManifestLoader, realpathLoose } from '../../../src/up/host-view.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'dom0-host-view-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SELF = 'c'.repeat(64);
const YAML = 'services:\n  web:\n    image: busybox\n    volumes: ["./site:/www:ro", "/var/run/docker.sock:/var/run/docker.sock"]\n';

function layout(yaml = YAML): { host: string; inContainer: string } {
  const base = mkdtempSync(join(root, 'case-'));
  const host = join(base, 'srv', 'Fleet.One');
  const inContainer = join(base, 'etc', 'dom0');
  for (const d of [host, inContainer]) {
    mkdirSync(join(d, 'site'), { recursive: true });
    writeFileSync(join(d, 'dom0.yaml'), yaml);
  }
  return { host, inContainer };
}

function fakeEngine(mounts: MountInfo[] | undefined): Engine & { inspected: string[] } {
  const inspected: string[] = [];
  const engine = {
    inspected,
    async inspectContainer(id: string): Promise<ContainerDetails | undefined> {
      inspected.push(id);
      return mounts ? ({ id, mounts } as unknown as ContainerDetails) : undefined;
    },
  };
  return engine as unknown as Engine & { inspected: string[] };
}

const bind = (source: string, destination: string): MountInfo => ({ type: 'bind', source, destination, rw: false });

describe('ManifestLoader', () => {
  it('outside a container: origin is the real path, the name its directory, no engine call', async () => {
    const { host } = layout();
    const link = join(root, `link-${Date.now()}`);
    symlinkSync(host, link);
    const eng = fakeEngine([]);
    const r = await new ManifestLoader(eng, { selfId: undefined, env: {} }).load(join(link, 'dom0.yaml'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.origin).toBe(join(host, 'dom0.yaml'));
    expect(r.manifest.name).toBe('fleetone');
    expect(r.notes).toEqual([]);
    expect(r.manifest.services[0]!.volumes[0]).toMatchObject({ type: 'bind', source: join(link, 'site') });
    expect(eng.inspected).toEqual([]);
  });

  it('in a container: same origin and name as on the host; relative binds become host paths, with notes', async () => {
    const { host, inContainer } = layout();
    const onHost = await new ManifestLoader(fakeEngine([]), { selfId: undefined, env: {} }).load(join(host, 'dom0.yaml'));
    const eng = fakeEngine([bind(host, inContainer), bind('/run/docker.sock', '/var/run/docker.sock')]);
    const loader = new ManifestLoader(eng, { selfId: SELF, env: {} });
    const inside = await loader.load(join(inContainer, 'dom0.yaml'));
    expect(onHost.ok && inside.ok).toBe(true);
    if (!onHost.ok || !inside.ok) return;
    expect(inside.manifest.origin).toBe(onHost.manifest.origin);
    expect(inside.manifest.name).toBe(onHost.manifest.name);
    expect(inside.manifest.file).toBe(join(inContainer, 'dom0.yaml'));
    expect(inside.manifest.services[0]!.volumes).toEqual(onHost.manifest.services[0]!.volumes);
    expect(inside.manifest.services[0]!.volumes.map((m) => m.type === 'bind' && m.source)).toEqual([join(host, 'site'), '/var/run/docker.sock']);
    expect(inside.notes).toEqual([`bind ./site → ${join(host, 'site')} (dom0 runs in a container; host path)`]);
    // dom0's mounts are inspected once for the life of the loader
    await loader.load(join(inContainer, 'dom0.yaml'));
    expect(eng.inspected).toEqual([SELF]);
  });

  it('--fleet wins over the directory in both views', async () => {
    const { host, inContainer } = layout();
    const r = await new ManifestLoader(fakeEngine([bind(host, inContainer)]), { selfId: SELF, fleet: 'prod', env: {} }).load(join(inContainer, 'dom0.yaml'));
    expect(r.ok && r.manifest.name).toBe('prod');
  });

  it('the last-good text loads with the same identity and translation, even with the file gone', async () => {
    const { host, inContainer } = layout();
    const file = join(inContainer, 'dom0.yaml');
    rmSync(file);
    const r = await new ManifestLoader(fakeEngine([bind(host, inContainer)]), { selfId: SELF, env: {} }).load(file, YAML);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.origin).toBe(join(host, 'dom0.yaml'));
    expect(r.manifest.name).toBe('fleetone');
    expect(r.manifest.services[0]!.volumes[0]).toMatchObject({ source: join(host, 'site') });
  });

  it('a relative bind outside every mount is an error at the bind', async () => {
    const { host, inContainer } = layout(YAML.replace('./site', '../../outside'));
    const r = await new ManifestLoader(fakeEngine([bind(host, inContainer)]), { selfId: SELF, env: {} }).load(join(inContainer, 'dom0.yaml'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(new RegExp(`^${inContainer}/dom0\\.yaml:4:15: bind source \\.\\./\\.\\./outside resolves to .*/outside inside dom0's container, which is not mounted from the host`)),
    ]);
  });

  it('an invalid manifest asks the engine nothing', async () => {
    const { host, inContainer } = layout('services:\n  web: {}\n');
    const eng = fakeEngine([bind(host, inContainer)]);
    const r = await new ManifestLoader(eng, { selfId: SELF, env: {} }).load(join(inContainer, 'dom0.yaml'));
    expect(r.ok).toBe(false);
    expect(eng.inspected).toEqual([]);
  });

  it('a manifest inside the image (no mount): its own path is the origin, said in a note', async () => {
    const { inContainer } = layout('services:\n  web:\n    image: busybox\n');
    const r = await new ManifestLoader(fakeEngine([]), { selfId: SELF, env: {} }).load(join(inContainer, 'dom0.yaml'));
    expect(r.ok && r.manifest.origin).toBe(join(inContainer, 'dom0.yaml'));
    expect(r.ok && r.notes).toEqual([expect.stringMatching(/inside dom0's container, not mounted from the host/)]);
  });

  it("a container the engine does not know (another engine's): no translation", async () => {
    const { inContainer } = layout();
    const r = await new ManifestLoader(fakeEngine(undefined), { selfId: SELF, env: {} }).load(join(inContainer, 'dom0.yaml'));
    expect(r.ok && r.manifest.services[0]!.volumes[0]).toMatchObject({ source: join(inContainer, 'site') });
    expect(r.ok && r.notes).toEqual([]);
  });

  it.each([
    ['an existing file', (d: string) => join(d, 'dom0.yaml'), (d: string) => join(d, 'dom0.yaml')],
    ['a missing file in an existing dir', (d: string) => join(d, 'gone.yaml'), (d: string) => join(d, 'gone.yaml')],
    ['a missing dir', () => '/nonexistent-dom0/x/dom0.yaml', () => '/nonexistent-dom0/x/dom0.yaml'],
  ])('realpathLoose: %s', (_why, input, want) => {
    const { host } = layout();
    expect(realpathLoose(input(host))).toBe(want(host));
  });
});
