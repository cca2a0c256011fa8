// The single-host keys in the create request: each spec field and the Engine API HostConfig field it becomes.
import { describe, expect, it } from 'vitest';
import { isolationConfig, serviceRequest, tuningConfig } from '../../../src/engine/container-config.js';
import type { ContainerSpec } from '../../../src/manifest/types.js';
import { manifest, svc } from '../reconcile/build.js';

const ctx = { name: 'web', labels: {}, keepVolumes: [] };
const hostConfig = (over: Partial<ContainerSpec>) => serviceRequest(manifest({ services: [] }), svc('web', over), ctx).body.HostConfig as Record<string, unknown>;

describe('tuningConfig / isolationConfig → HostConfig', () => {
  it.each<[string, Partial<ContainerSpec>, Record<string, unknown>]>([
    ['cpu_shares', { cpuShares: 512 }, { CpuShares: 512 }],
    ['cpu_quota, cpu_period', { cpuQuota: 50000, cpuPeriod: 100000 }, { CpuQuota: 50000, CpuPeriod: 100000 }],
    ['cpuset', { cpuset: '0-2' }, { CpusetCpus: '0-2' }],
    ['cpu_rt_*', { cpuRtRuntime: 950000, cpuRtPeriod: 1000000 }, { CpuRealtimeRuntime: 950000, CpuRealtimePeriod: 1000000 }],
    ['mem_reservation', { memReservationBytes: 1024 }, { MemoryReservation: 1024 }],
    ['memswap_limit -1', { memswapLimitBytes: -1 }, { MemorySwap: -1 }],
    ['mem_swappiness 0', { memSwappiness: 0 }, { MemorySwappiness: 0 }],
    ['oom_kill_disable', { oomKillDisable: true }, { OomKillDisable: true }],
    ['oom_score_adj', { oomScoreAdj: -500 }, { OomScoreAdj: -500 }],
    ['pids_limit', { pidsLimit: 100 }, { PidsLimit: 100 }],
    ['device_cgroup_rules', { deviceCgroupRules: ['c 1:3 mr'] }, { DeviceCgroupRules: ['c 1:3 mr'] }],
    [
      'blkio_config',
      { blkio: { weight: 300, weightDevice: [{ path: '/dev/sda', weight: 400 }], deviceReadBps: [{ path: '/dev/sda', rate: 1024 }], deviceWriteIops: [{ path: '/dev/sdb', rate: 30 }] } },
      {
        BlkioWeight: 300,
        BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 400 }],
        BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1024 }],
        BlkioDeviceWriteIOps: [{ Path: '/dev/sdb', Rate: 30 }],
      },
    ],
    [
      'gpus all and a reserved device',
      { deviceRequests: [{ capabilities: ['gpu'], count: -1 }, { capabilities: ['gpu', 'utility'], driver: 'nvidia', deviceIds: ['0'], options: { a: 'b' } }] },
      {
        DeviceRequests: [
          { Driver: '', Count: -1, Capabilities: [['gpu']] },
          { Driver: 'nvidia', Count: 0, DeviceIDs: ['0'], Capabilities: [['gpu', 'utility']], Options: { a: 'b' } },
        ],
      },
    ],
  ])('%s', (_, over, want) => {
    expect(tuningConfig(over)).toMatchObject(want);
    expect(hostConfig(over)).toMatchObject(want);
  });

  it.each<[string, Partial<ContainerSpec>, Record<string, unknown>]>([
    ['security_opt', { securityOpt: ['no-new-privileges:true'] }, { SecurityOpt: ['no-new-privileges:true'] }],
    ['group_add', { groupAdd: ['audio', '44'] }, { GroupAdd: ['audio', '44'] }],
    ['pid, ipc, uts, userns_mode', { pid: 'host', ipc: 'shareable', uts: 'host', usernsMode: 'host' }, { PidMode: 'host', IpcMode: 'shareable', UTSMode: 'host', UsernsMode: 'host' }],
    ['cgroup, cgroup_parent', { cgroup: 'private', cgroupParent: '/dom0' }, { CgroupnsMode: 'private', CgroupParent: '/dom0' }],
    ['runtime', { runtime: 'runsc' }, { Runtime: 'runsc' }],
    ['dns_opt', { dnsOpt: ['ndots:2'] }, { DnsOptions: ['ndots:2'] }],
    ['storage_opt', { storageOpt: { size: '20G' } }, { StorageOpt: { size: '20G' } }],
    ['annotations', { annotations: { 'com.example.a': '1' } }, { Annotations: { 'com.example.a': '1' } }],
  ])('%s', (_, over, want) => {
    expect(isolationConfig(over)).toMatchObject(want);
    expect(hostConfig(over)).toMatchObject(want);
  });

  it('external_links follow the manifest links, in HostConfig and on the first network endpoint', () => {
    const m = manifest({ services: [svc('db', { containerName: 'db-c' })] });
    const r = serviceRequest(m, svc('web', { links: [{ name: 'db', alias: 'database' }], externalLinks: ['legacy_1:legacy'] }), ctx);
    const links = ['db-c:database', 'legacy_1:legacy'];
    expect(r.body.HostConfig).toMatchObject({ Links: links });
    expect(r.body.NetworkingConfig).toMatchObject({ EndpointsConfig: { fleet: { Links: links } } });
  });

  it('pid/ipc service:KEY become container:<its container name>; container:NAME is passed as written', () => {
    const m = manifest({ services: [svc('db', { containerName: 'db-c' })] });
    const hc = serviceRequest(m, svc('web', { pid: 'service:db', ipc: 'container:other' }), ctx).body.HostConfig;
    expect(hc).toMatchObject({ PidMode: 'container:db-c', IpcMode: 'container:other' });
    expect(isolationConfig({ ipc: 'service:db' })).toMatchObject({ IpcMode: 'container:db' });
  });

  it('mac_address goes on the container and on the first network endpoint, with the same value', () => {
    const r = serviceRequest(manifest({ services: [] }), svc('web', { macAddress: '02:42:ac:11:00:02' }), ctx);
    expect(r.body.MacAddress).toBe('02:42:ac:11:00:02');
    expect(r.body.NetworkingConfig).toMatchObject({ EndpointsConfig: { fleet: { MacAddress: '02:42:ac:11:00:02' } } });
    const plain = serviceRequest(manifest({ services: [] }), svc('web'), ctx);
    expect(plain.body).not.toHaveProperty('MacAddress');
    expect((plain.body.NetworkingConfig as { EndpointsConfig: { fleet: object } }).EndpointsConfig.fleet).not.toHaveProperty('MacAddress');
  });

  it('a spec without the keys sends none of the fields', () => {
    const hc = hostConfig({});
    for (const k of [...Object.keys(tuningConfig({})), ...Object.keys(isolationConfig({}))]) expect(hc, k).not.toHaveProperty(k);
    expect(hostConfig({ oomKillDisable: false, securityOpt: [], storageOpt: {} })).not.toHaveProperty('OomKillDisable');
  });

  it('deploy limits arrive as the fields mem_limit, cpus and pids_limit use', () => {
    expect(hostConfig({ memLimitBytes: 64, cpus: 0.5, pidsLimit: 10 })).toMatchObject({ Memory: 64, NanoCpus: 500_000_000, PidsLimit: 10 });
  });

  it('the engine restart policy stays "no" whatever the manifest says: dom0 applies it', () => {
    expect(hostConfig({ restart: { name: 'on-failure', maxRetries: 3 } })).toMatchObject({ RestartPolicy: { Name: 'no' } });
  });
});
