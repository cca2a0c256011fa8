import { describe, expect, it } from 'vitest';
import { parseOctalMode, parseVolumeLong, parseVolumesFrom, parseVolumeShort } from '../../../src/manifest/volumes.js';
import type { Mount } from '../../../src/manifest/types.js';

describe('volumes short syntax', () => {
  it.each<[string, Mount]>([
    ['/var/lib/mysql', { type: 'anonymous', target: '/var/lib/mysql', readOnly: false }],
    ['/opt/data:/var/lib/mysql', { type: 'bind', source: '/opt/data', target: '/var/lib/mysql', readOnly: false }],
    ['./cache:/tmp/cache', { type: 'bind', source: './cache', target: '/tmp/cache', readOnly: false }],
    ['../shared:/shared:ro', { type: 'bind', source: '../shared', target: '/shared', readOnly: true }],
    ['~/configs:/etc/configs:ro', { type: 'bind', source: '~/configs', target: '/etc/configs', readOnly: true }],
    ['.:/src:rw', { type: 'bind', source: '.', target: '/src', readOnly: false }],
    ['/mnt:/mnt:ro,rshared', { type: 'bind', source: '/mnt', target: '/mnt', readOnly: true, bindPropagation: 'rshared' }],
    ['datavolume:/var/lib/mysql', { type: 'volume', source: 'datavolume', target: '/var/lib/mysql', readOnly: false }],
    ['data:/data:ro', { type: 'volume', source: 'data', target: '/data', readOnly: true }],
    ['data:/data:nocopy', { type: 'volume', source: 'data', target: '/data', readOnly: false, noCopy: true }],
    ['/src:/src:cached', { type: 'bind', source: '/src', target: '/src', readOnly: false }],
  ])('%j', (spec, mount) => {
    expect(parseVolumeShort(spec)).toEqual({ ok: true, value: mount });
  });

  it.each([
    ['relative/target', 'absolute path'],
    ['data:relative', 'absolute path'],
    [':/data', 'empty source'],
    ['bad name:/data', 'neither a path'],
    ['./a:/b:rx', 'unknown mode'],
    ['./a:/b:nocopy', 'unknown mode'],
    ['data:/b:rshared', 'unknown mode'],
    ['data:/b:z', 'applies to bind mounts'],
    ['a:/b:ro:extra', 'expected [SOURCE:]TARGET[:MODE]'],
  ])('rejects %j (%s)', (spec, why) => {
    const r = parseVolumeShort(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });
});

describe('SELinux relabeling on binds', () => {
  it.each<[string, Mount]>([
    ['./a:/b:z', { type: 'bind', source: './a', target: '/b', readOnly: false, selinux: 'z' }],
    ['./a:/b:z,ro', { type: 'bind', source: './a', target: '/b', readOnly: true, selinux: 'z' }],
    ['/a:/b:ro,Z', { type: 'bind', source: '/a', target: '/b', readOnly: true, selinux: 'Z' }],
  ])('%j', (spec, want) => expect(parseVolumeShort(spec)).toEqual({ ok: true, value: want }));
});

describe('volumes long syntax', () => {
  it.each<[Parameters<typeof parseVolumeLong>[0], Mount]>([
    [{ type: 'bind', source: './site', target: '/www', read_only: true }, { type: 'bind', source: './site', target: '/www', readOnly: true }],
    [{ type: 'bind', source: '/x', target: '/x', bind: { propagation: 'rslave' } }, { type: 'bind', source: '/x', target: '/x', readOnly: false, bindPropagation: 'rslave' }],
    [{ type: 'bind', source: '/x', target: '/x', bind: { selinux: 'Z' } }, { type: 'bind', source: '/x', target: '/x', readOnly: false, selinux: 'Z' }],
    [{ type: 'volume', source: 'db', target: '/db', volume: { nocopy: true } }, { type: 'volume', source: 'db', target: '/db', readOnly: false, noCopy: true }],
    [{ type: 'volume', target: '/cache' }, { type: 'anonymous', target: '/cache', readOnly: false }],
    [{ type: 'tmpfs', target: '/run', tmpfs: { size: '64m', mode: '1777' } }, { type: 'tmpfs', target: '/run', sizeBytes: 64 * 2 ** 20, mode: 0o1777 }],
  ])('%j', (spec, mount) => {
    expect(parseVolumeLong(spec)).toEqual({ ok: true, value: mount });
  });

  it.each<[Parameters<typeof parseVolumeLong>[0], string]>([
    [{ type: 'bind', target: '/x' }, 'needs a `source`'],
    [{ type: 'tmpfs', source: 'x', target: '/x' }, 'has no `source`'],
    [{ type: 'npipe', source: 'x', target: '/x' }, 'not supported'],
    [{ type: 'nfs', source: 'x', target: '/x' }, 'unknown type'],
    [{ type: 'volume', source: 'x', target: '/x', bind: {} }, 'need `type: bind`'],
    [{ type: 'bind', source: '/x', target: '/x', bind: { propagation: 'weird' } }, 'unknown propagation'],
  ])('rejects %j', (spec, why) => {
    const r = parseVolumeLong(spec);
    expect(!r.ok && r.error).toContain(why);
  });

  it('parses tmpfs modes as octal', () => {
    expect(parseOctalMode(1777)).toEqual({ ok: true, value: 0o1777 });
    expect(parseOctalMode('0o755')).toEqual({ ok: true, value: 0o755 });
    expect(parseOctalMode('999').ok).toBe(false);
  });
});

describe('volumes_from', () => {
  it.each([
    ['data', { name: 'data', readOnly: false, container: false }],
    ['data:ro', { name: 'data', readOnly: true, container: false }],
    ['data:rw', { name: 'data', readOnly: false, container: false }],
    ['service:data:ro', { name: 'data', readOnly: true, container: false }],
    ['container:my-data', { name: 'my-data', readOnly: false, container: true }],
  ])('%j', (spec, out) => {
    expect(parseVolumesFrom(spec)).toEqual({ ok: true, value: out });
  });

  it.each([[''], ['data:rx'], ['a:ro:x']])('rejects %j', (spec) => {
    expect(parseVolumesFrom(spec).ok).toBe(false);
  });
});
