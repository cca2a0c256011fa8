// The loader's identity options (fleet, origin) and the bind-source hook that src/up/host-view.ts feeds.
import { describe, expect, it } from 'vitest';
import { bindSourceHook, hostPathTranslator } from '../../../src/manifest/host-paths.js';
import { formatDiagnostic, loadManifestText, type LoadOptions } from '../../../src/manifest/load.js';

const FILE = '/etc/dom0/dom0.yaml';
const YAML = [
  'services:', //                                      1
  '  web:', //                                         2
  '    image: busybox:latest', //                      3
  '    volumes:', //                                   4
  '      - ./site:/www:ro', //                         5
  '      - /var/run/docker.sock:/var/run/docker.sock', // 6
  '      - data:/data', //                             7
  '      - type: bind', //                             8
  '        source: ../shared', //                      9
  '        target: /shared', //                        10
  'volumes:',
  '  data: {}',
  '',
].join('\n');

const load = (yaml: string, o: LoadOptions = {}) => loadManifestText(yaml, FILE, { env: {}, readFile: () => undefined, ...o });

describe('fleet name and origin', () => {
  it.each([
    ['no name:, no override: the directory of the origin', '', {}, 'dom0'],
    ['origin elsewhere: its directory', '', { origin: '/srv/My.Fleet/dom0.yaml' }, 'myfleet'],
    ['name: beats the directory', 'name: site\n', { origin: '/srv/fleet/dom0.yaml' }, 'site'],
    ['--fleet beats name:', 'name: site\n', { fleet: 'prod', origin: '/srv/fleet/dom0.yaml' }, 'prod'],
    ['an invalid name: falls back to the override', 'name: Bad Name\n', { fleet: 'prod' }, 'prod'],
  ] as const)('%s', (_why, head, o, want) => {
    const r = load(`${head}services:\n  app:\n    image: busybox\n`, o);
    if (head.includes('Bad')) {
      expect(r.ok).toBe(false); // the invalid name: is still reported
      return;
    }
    expect(r.ok && r.manifest.name).toBe(want);
  });

  it('the fleet name feeds the default network and volume names', () => {
    const r = load(YAML, { origin: '/srv/fleet/dom0.yaml' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.networks.default!.name).toBe('fleet');
    expect(r.manifest.volumes.data!.name).toBe('fleet_data');
  });

  it('origin defaults to the path given and follows the option; file stays the path dom0 read', () => {
    const a = load(YAML);
    const b = load(YAML, { origin: '/srv/fleet/dom0.yaml' });
    expect(a.ok && a.manifest.origin).toBe(FILE);
    expect(b.ok && [b.manifest.origin, b.manifest.file]).toEqual(['/srv/fleet/dom0.yaml', FILE]);
  });
});

describe('relative bind sources through the hook', () => {
  const toHost = hostPathTranslator([
    { source: '/srv/fleet', destination: '/etc/dom0' },
    { source: '/run/docker.sock', destination: '/var/run/docker.sock' },
  ]);

  it('without a hook, relative sources resolve against the manifest directory', () => {
    const r = load(YAML);
    expect(r.ok && r.manifest.services[0]!.volumes.map((m) => (m.type === 'bind' ? m.source : m.type))).toEqual([
      '/etc/dom0/site',
      '/var/run/docker.sock',
      'volume',
      '/etc/shared',
    ]);
  });

  it('translates relative sources only; absolute ones stay as written', () => {
    const mounted = hostPathTranslator([{ source: '/srv', destination: '/etc' }, { source: '/run/docker.sock', destination: '/var/run/docker.sock' }]);
    const notes: string[] = [];
    const r = load(YAML, { bindSource: bindSourceHook(mounted, (n) => notes.push(n)) });
    expect(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n')).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.services[0]!.volumes.map((m) => (m.type === 'bind' ? m.source : m.type))).toEqual([
      '/srv/dom0/site',
      '/var/run/docker.sock', // written absolute: a host path, not translated to /run/docker.sock
      'volume',
      '/srv/shared',
    ]);
    expect(notes).toEqual([
      'bind ./site → /srv/dom0/site (dom0 runs in a container; host path)',
      'bind ../shared → /srv/shared (dom0 runs in a container; host path)',
    ]);
  });

  it('a relative source under no mount fails at the bind, FILE:LINE:COL', () => {
    const r = load(YAML, { bindSource: bindSourceHook(toHost, () => undefined) });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.diagnostics.map(formatDiagnostic);
    expect(lines).toEqual([
      expect.stringMatching(/^\/etc\/dom0\/dom0\.yaml:9:17: bind source \.\.\/shared resolves to \/etc\/shared inside dom0's container, which is not mounted from the host: mount/),
    ]);
  });

  it('~ is relative too (the home inside dom0\'s container)', () => {
    const r = load('services:\n  app:\n    image: busybox\n    volumes: ["~/cfg:/cfg"]\n', {
      env: { HOME: '/root' },
      bindSource: bindSourceHook(toHost, () => undefined),
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map(formatDiagnostic)[0]).toMatch(/^\/etc\/dom0\/dom0\.yaml:4:15: bind source ~\/cfg resolves to \/root\/cfg inside/);
  });
});
