// More single-host keys in the create request (issue 10), each as docker/compose maps it:
// volume_driver, isolation, platform, CDI devices, binds with a propagation mode, and the
// per-attachment network keys (priority order, gw_priority, driver_opts, link_local_ips, mac_address).
import { describe, expect, it } from 'vitest';
import { endpointSettings, mountsConfig, networkConfig, serviceRequest } from '../../../src/engine/container-config.js';
import type { ContainerSpec, Manifest } from '../../../src/manifest/types.js';
import { manifest, svc } from '../reconcile/build.js';

const ctx = { name: 'web', labels: {}, keepVolumes: [] };
const request = (over: Partial<ContainerSpec>, m: Manifest = manifest({ services: [] })) => serviceRequest(m, svc('web', over), ctx);
const hostConfig = (over: Partial<ContainerSpec>) => request(over).body.HostConfig as Record<string, unknown>;

function withNetworks(keys: string[]): Manifest {
  const m = manifest({ services: [] });
  for (const key of keys) m.networks[key] = { key, name: `fleet_${key}`, driverOpts: {}, labels: {}, external: false, internal: false, attachable: false, enableIpv6: false };
  return m;
}

describe('HostConfig fields', () => {
  it.each<[string, Partial<ContainerSpec>, Record<string, unknown>]>([
    ['volume_driver', { volumeDriver: 'local' }, { VolumeDriver: 'local' }],
    ['isolation', { isolation: 'default' }, { Isolation: 'default' }],
    ['a CDI device is a device request with driver cdi, not a device path', { devices: ['nvidia.com/gpu=all'] }, { DeviceRequests: [{ Driver: 'cdi', Count: 0, DeviceIDs: ['nvidia.com/gpu=all'] }] }],
    [
      'CDI names in one request after gpus; paths stay devices',
      { devices: ['/dev/null:/dev/null:rwm', 'a.com/b=c', 'a.com/b=d'], deviceRequests: [{ capabilities: ['gpu'], count: -1 }] },
      {
        Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rwm' }],
        DeviceRequests: [
          { Driver: '', Count: -1, Capabilities: [['gpu']] },
          { Driver: 'cdi', Count: 0, DeviceIDs: ['a.com/b=c', 'a.com/b=d'] },
        ],
      },
    ],
  ])('%s', (_, over, want) => {
    expect(hostConfig(over)).toMatchObject(want);
  });

  it('unset keys are absent', () => {
    const h = hostConfig({});
    for (const k of ['VolumeDriver', 'Isolation', 'DeviceRequests']) expect(h).not.toHaveProperty(k);
    expect(request({})).not.toHaveProperty('platform');
  });

  it('a CDI device request carries no Capabilities (the engine would match them against drivers)', () => {
    const reqs = hostConfig({ devices: ['a.com/b=c'] }).DeviceRequests as Array<Record<string, unknown>>;
    expect(JSON.parse(JSON.stringify(reqs[0]))).not.toHaveProperty('Capabilities');
  });

  it('platform is a parameter of the create call, not a body field', () => {
    const r = request({ platform: 'linux/arm64' });
    expect(r.platform).toBe('linux/arm64');
    expect(r.body).not.toHaveProperty('platform');
  });
});

describe('binds', () => {
  const m = manifest({ services: [] });
  it.each<[string, ContainerSpec['volumes'][number], { binds: string[]; mounts: Array<Record<string, unknown>> }]>([
    ['plain', { type: 'bind', source: '/x', target: '/y', readOnly: false }, { binds: ['/x:/y'], mounts: [] }],
    ['read-only', { type: 'bind', source: '/x', target: '/y', readOnly: true }, { binds: ['/x:/y:ro'], mounts: [] }],
    [
      'propagation without ro: a Mount, as Compose (never "/y,rshared")',
      { type: 'bind', source: '/x', target: '/y', readOnly: false, bindPropagation: 'rshared' },
      { binds: [], mounts: [{ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: false, BindOptions: { Propagation: 'rshared' } }] },
    ],
    [
      'propagation with ro',
      { type: 'bind', source: '/x', target: '/y', readOnly: true, bindPropagation: 'rslave' },
      { binds: [], mounts: [{ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, BindOptions: { Propagation: 'rslave' } }] },
    ],
    ['SELinux z: the Binds form, the only one with relabeling', { type: 'bind', source: '/x', target: '/y', readOnly: false, selinux: 'z' }, { binds: ['/x:/y:z'], mounts: [] }],
    [
      'SELinux Z with ro and a propagation mode',
      { type: 'bind', source: '/x', target: '/y', readOnly: true, bindPropagation: 'rslave', selinux: 'Z' },
      { binds: ['/x:/y:ro,rslave,Z'], mounts: [] },
    ],
  ])('%s', (_, mount, want) => {
    const r = mountsConfig(m, svc('web', { volumes: [mount] }), []);
    expect({ binds: r.binds, mounts: r.mounts }).toEqual(want);
  });
});

describe('networks.<key> keys → endpoints', () => {
  it('priority decides the primary network (highest first, then by key), as NetworksByPriority', () => {
    const m = withNetworks(['a', 'b', 'c']);
    const net = networkConfig(m, svc('web', { networks: { a: { aliases: ['web'] }, b: { aliases: ['web'], priority: 10 }, c: { aliases: ['web'], priority: 10 } } }));
    expect(net.networkMode).toBe('fleet_b');
    expect(net.extraNetworks.map((n) => n.network)).toEqual(['fleet_c', 'fleet_a']);
  });

  it('a negative priority goes after the default 0', () => {
    const m = withNetworks(['a', 'b']);
    expect(networkConfig(m, svc('web', { networks: { a: { aliases: ['web'], priority: -1 }, b: { aliases: ['web'] } } })).networkMode).toBe('fleet_b');
  });

  it('every key on the primary endpoint', () => {
    const m = withNetworks(['a']);
    const net = networkConfig(
      m,
      svc('web', {
        networks: { a: { aliases: ['web'], ipv4Address: '10.1.0.5', gwPriority: 3, driverOpts: { 'com.docker.network.endpoint.ifname': 'eth7' }, linkLocalIps: ['169.254.1.1'], macAddress: '02:42:ac:11:00:09' } },
      }),
    );
    expect(net.networkingConfig).toEqual({
      EndpointsConfig: {
        fleet_a: {
          Aliases: ['web'],
          Links: undefined,
          IPAMConfig: { IPv4Address: '10.1.0.5', IPv6Address: undefined, LinkLocalIPs: ['169.254.1.1'] },
          MacAddress: '02:42:ac:11:00:09',
          DriverOpts: { 'com.docker.network.endpoint.ifname': 'eth7' },
          GwPriority: 3,
        },
      },
    });
    // Engines before API 1.44 read the MAC address from Config only.
    expect(net.macAddress).toBe('02:42:ac:11:00:09');
  });

  it('an extra network carries its own keys to the connect call', () => {
    const m = withNetworks(['a', 'b']);
    const net = networkConfig(m, svc('web', { networks: { a: { aliases: ['web'] }, b: { aliases: ['web'], gwPriority: 1, driverOpts: { x: 'y' }, macAddress: '02:42:ac:11:00:0a' } } }));
    expect(net.extraNetworks).toEqual([{ network: 'fleet_b', aliases: ['web'], gwPriority: 1, driverOpts: { x: 'y' }, macAddress: '02:42:ac:11:00:0a', links: [] }]);
    expect(endpointSettings(net.extraNetworks[0]!)).toMatchObject({ Aliases: ['web'], GwPriority: 1, DriverOpts: { x: 'y' }, MacAddress: '02:42:ac:11:00:0a' });
    expect(net.macAddress).toBeUndefined(); // only the primary network's address goes in Config
  });

  it('the service mac_address goes on the primary endpoint only', () => {
    const m = withNetworks(['a', 'b']);
    const net = networkConfig(m, svc('web', { macAddress: '02:42:ac:11:00:01', networks: { a: { aliases: ['web'] }, b: { aliases: ['web'], priority: 5 } } }));
    expect(net.networkingConfig).toMatchObject({ EndpointsConfig: { fleet_b: { MacAddress: '02:42:ac:11:00:01' } } });
    expect(net.extraNetworks[0]).not.toHaveProperty('macAddress');
    expect(request({ macAddress: '02:42:ac:11:00:01' }).body.MacAddress).toBe('02:42:ac:11:00:01');
  });
});
