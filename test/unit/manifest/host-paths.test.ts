import { describe, expect, it } from 'vitest';
import { bindSourceHook, hostPathTranslator, type HostMount } from '../../../src/manifest/host-paths.js';

const MOUNTS: HostMount[] = [
  { source: '/srv/fleet', destination: '/etc/dom0' },
  { source: '/srv/fleet-secrets', destination: '/etc/dom0/secrets' }, // nested: longest wins
  { source: '/var/lib/docker/volumes/dom0-state/_data', destination: '/var/lib/dom0' }, // a volume
  { source: '/run/docker.sock', destination: '/var/run/docker.sock' },
  { source: '/data/', destination: '/data/' }, // trailing slashes
  { source: 'relative-ignored', destination: '/weird' },
];

describe('hostPathTranslator', () => {
  const toHost = hostPathTranslator(MOUNTS);
  it.each([
    ['/etc/dom0', '/srv/fleet'],
    ['/etc/dom0/', '/srv/fleet'],
    ['/etc/dom0/dom0.yaml', '/srv/fleet/dom0.yaml'],
    ['/etc/dom0/site/index.html', '/srv/fleet/site/index.html'],
    ['/etc/dom0/secrets/key', '/srv/fleet-secrets/key'],
    ['/etc/dom0/secrets', '/srv/fleet-secrets'],
    ['/etc/dom0/secretsx', '/srv/fleet/secretsx'],
    ['/etc/dom0/../dom0/x', '/srv/fleet/x'],
    ['/var/lib/dom0/last-good.json', '/var/lib/docker/volumes/dom0-state/_data/last-good.json'],
    ['/var/run/docker.sock', '/run/docker.sock'],
    ['/data/x', '/data/x'],
    ['/etc/dom0x', undefined],
    ['/etc', undefined],
    ['/weird/x', undefined],
    ['/opt/dom0/dom0.mjs', undefined],
    ['relative/path', undefined],
  ])('%j → %j', (p, want) => {
    expect(toHost(p)).toBe(want);
  });

  it('a mount at / covers everything not covered by a longer one', () => {
    const t = hostPathTranslator([{ source: '/host-root', destination: '/' }, { source: '/srv/fleet', destination: '/etc/dom0' }]);
    expect(t('/etc/dom0/a')).toBe('/srv/fleet/a');
    expect(t('/opt/x')).toBe('/host-root/opt/x');
    expect(t('/')).toBe('/host-root');
  });

  it('no mounts: nothing translates', () => {
    expect(hostPathTranslator([])('/etc/dom0/x')).toBeUndefined();
  });
});

describe('bindSourceHook', () => {
  it('translates, with one note per written source', () => {
    const notes: string[] = [];
    const hook = bindSourceHook(hostPathTranslator(MOUNTS), (n) => notes.push(n));
    expect(hook('./site', '/etc/dom0/site')).toEqual({ ok: true, source: '/srv/fleet/site' });
    expect(hook('./site', '/etc/dom0/site')).toEqual({ ok: true, source: '/srv/fleet/site' });
    expect(hook('../dom0/site', '/etc/dom0/site')).toEqual({ ok: true, source: '/srv/fleet/site' });
    expect(notes).toEqual([
      'bind ./site → /srv/fleet/site (dom0 runs in a container; host path)',
      'bind ../dom0/site → /srv/fleet/site (dom0 runs in a container; host path)',
    ]);
  });

  it('a source under no mount is an error that says what to do', () => {
    const notes: string[] = [];
    const r = bindSourceHook(hostPathTranslator(MOUNTS), (n) => notes.push(n))('~/cfg', '/root/cfg');
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/^bind source ~\/cfg resolves to \/root\/cfg inside dom0's container, which is not mounted from the host: mount the directory .*-v HOST_DIR:\/root\b/),
    });
    expect(notes).toEqual([]);
  });
});
