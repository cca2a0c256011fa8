// Table tests for the pieces serviceRequest is built from (container-config.test.ts covers the whole request).
import { describe, expect, it } from 'vitest';
import { healthcheckConfig, mountsConfig, networkConfig, portsConfig, resourcesConfig } from '../../../src/engine/container-config.js';
import type { ContainerSpec } from '../../../src/manifest/types.js';
import { manifest, svc } from '../reconcile/build.js';

describe('mountsConfig', () => {
  const m = { ...manifest({}), volumes: { data: { name: 'fleet_data', external: false } } } as unknown as ReturnType<typeof manifest>;
  const cases: Array<[string, ContainerSpec['volumes'], string[], Array<{ name: string; destination: string }>, Partial<ReturnType<typeof mountsConfig>>]> = [
    ['bind, read-only with propagation', [{ type: 'bind', source: '/srv', target: '/s', readOnly: true, bindPropagation: 'rslave' } as never], [], [], { binds: [], mounts: [{ Type: 'bind', Source: '/srv', Target: '/s', ReadOnly: true, BindOptions: { Propagation: 'rslave' } }] }],
    ['bind, read-write', [{ type: 'bind', source: '/srv', target: '/s', readOnly: false } as never], [], [], { binds: ['/srv:/s'] }],
    [
      'named volume by its engine name, nocopy',
      [{ type: 'volume', source: 'data', target: '/d', readOnly: false, noCopy: true } as never],
      [],
      [],
      { mounts: [{ Type: 'volume', Source: 'fleet_data', Target: '/d', ReadOnly: false, VolumeOptions: { NoCopy: true } }] },
    ],
    ['anonymous volume', [{ type: 'anonymous', target: '/a', readOnly: false } as never], [], [], { anonymous: { '/a': {} }, mounts: [] }],
    ['read-only anonymous volume is a mount', [{ type: 'anonymous', target: '/a', readOnly: true } as never], [], [], { anonymous: {}, mounts: [{ Type: 'volume', Target: '/a', ReadOnly: true }] }],
    [
      'kept anonymous volume, and one the spec does not name',
      [{ type: 'anonymous', target: '/a', readOnly: false } as never],
      [],
      [
        { name: 'old-a', destination: '/a' },
        { name: 'old-img', destination: '/var/lib/x' },
      ],
      {
        anonymous: {},
        mounts: [
          { Type: 'volume', Source: 'old-a', Target: '/a', ReadOnly: false },
          { Type: 'volume', Source: 'old-img', Target: '/var/lib/x' },
        ],
      },
    ],
    ['tmpfs from volumes and tmpfs:', [{ type: 'tmpfs', target: '/t', sizeBytes: 1024, mode: 0o1777 } as never], ['/run:size=1m', '/cache'], [], { tmpfs: { '/t': 'size=1024,mode=1777', '/run': 'size=1m', '/cache': '' } }],
    ['nothing', [], [], [], { binds: [], mounts: [], anonymous: {}, tmpfs: undefined }],
  ];
  it.each(cases)('%s', (_, volumes, tmpfs, keep, expected) => {
    expect(mountsConfig(m, svc('a', { volumes, tmpfs }), keep)).toMatchObject(expected);
  });
});

describe('portsConfig', () => {
  it.each([
    [{ ports: [], expose: [] }, { exposed: {}, portBindings: {} }],
    [
      { ports: [{ containerPort: '80', protocol: 'tcp', hostPort: '8080' }, { containerPort: '80', protocol: 'tcp', hostIp: '127.0.0.1', hostPort: '8081' }], expose: [] },
      { exposed: { '80/tcp': {} }, portBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }] } },
    ],
    [{ ports: [{ containerPort: '53', protocol: 'udp' }], expose: ['9000', '9001/udp'] }, { exposed: { '53/udp': {}, '9000/tcp': {}, '9001/udp': {} }, portBindings: { '53/udp': [{ HostIp: '', HostPort: '' }] } }],
  ])('%o', (spec, expected) => {
    expect(portsConfig(spec as never)).toEqual(expected);
  });
});

describe('networkConfig', () => {
  const m = manifest({ services: [svc('db', { containerName: 'the-db' })] });
  it.each([
    ['network_mode host: no endpoints', { networkMode: 'host', networks: { default: { aliases: ['a'] } }, links: [] }, { networkMode: 'host', networkingConfig: undefined, extraNetworks: [], links: [] }],
    ['service:X becomes container:NAME', { networkMode: 'service:db', networks: {}, links: [] }, { networkMode: 'container:the-db', networkingConfig: undefined, extraNetworks: [] }],
    [
      'first network (by key) at create, the rest after, links by container name',
      { networks: { zeta: { aliases: ['a'] }, alpha: { aliases: ['a', 'a'], ipv4Address: '10.0.0.5' } }, links: [{ name: 'db', alias: 'database' }] },
      {
        networkMode: 'alpha',
        links: ['the-db:database'],
        networkingConfig: { EndpointsConfig: { alpha: { Aliases: ['a'], Links: ['the-db:database'], IPAMConfig: { IPv4Address: '10.0.0.5', IPv6Address: undefined } } } },
        extraNetworks: [{ network: 'zeta', aliases: ['a'], links: ['the-db:database'] }],
      },
    ],
  ])('%s', (_, spec, expected) => {
    expect(networkConfig(m, spec as never)).toMatchObject(expected);
  });
});

describe('healthcheckConfig', () => {
  it.each([
    [undefined, undefined],
    [{ test: ['NONE'] }, { Test: ['NONE'], Interval: undefined, Timeout: undefined, Retries: undefined, StartPeriod: undefined, StartInterval: undefined }],
    [
      { test: ['CMD', 'true'], intervalMs: 1500, timeoutMs: 2000, retries: 3, startPeriodMs: 0, startIntervalMs: 100 },
      { Test: ['CMD', 'true'], Interval: 1_500_000_000, Timeout: 2_000_000_000, Retries: 3, StartPeriod: 0, StartInterval: 100_000_000 },
    ],
  ])('%o', (h, expected) => {
    expect(healthcheckConfig(h as never)).toEqual(expected);
  });
});

describe('resourcesConfig', () => {
  it.each([
    [{ sysctls: {}, ulimits: {} }, { Memory: undefined, NanoCpus: undefined, ShmSize: undefined, Sysctls: undefined, Ulimits: [] }],
    [
      { memLimitBytes: 1 << 20, cpus: 1.5, shmSizeBytes: 64, sysctls: { 'net.core.somaxconn': '1024' }, ulimits: { nofile: { soft: 10, hard: 20 } } },
      { Memory: 1 << 20, NanoCpus: 1_500_000_000, ShmSize: 64, Sysctls: { 'net.core.somaxconn': '1024' }, Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }] },
    ],
    [{ cpus: 0.3333333333, sysctls: {}, ulimits: {} }, { NanoCpus: 333_333_333 }],
  ])('%o', (spec, expected) => {
    expect(resourcesConfig(spec as never)).toMatchObject(expected);
  });
});
