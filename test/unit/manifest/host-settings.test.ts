// Single-host Compose keys and `deploy:` (issue 10): what each becomes in the normalized spec,
// what is rejected, what is ignored with a warning, and that unused keys add nothing to the spec.
import { describe, expect, it } from 'vitest';
import { configHash } from '../../../src/reconcile/hash.js';
import type { ContainerSpec } from '../../../src/manifest/types.js';
import { loadErrors, loadOk } from './helpers.js';

const service = (body: string): string => `services:\n  web:\n    image: busybox\n${body.replace(/^/gm, '    ')}\n`;
const web = (body: string): ContainerSpec => loadOk(service(body)).manifest.services[0]!;

const NEW_FIELDS = [
  'macAddress', 'externalLinks', 'securityOpt', 'groupAdd', 'pid', 'ipc', 'uts', 'usernsMode', 'cgroup', 'cgroupParent', 'runtime', 'cpuShares', 'cpuQuota', 'cpuPeriod',
  'cpuset', 'cpuRtRuntime', 'cpuRtPeriod', 'memReservationBytes', 'memswapLimitBytes', 'memSwappiness', 'oomKillDisable', 'oomScoreAdj',
  'pidsLimit', 'dnsOpt', 'deviceCgroupRules', 'deviceRequests', 'blkio', 'storageOpt', 'annotations',
];

describe('single-host service keys → normalized spec', () => {
  it.each<[string, string, Partial<ContainerSpec>]>([
    ['external_links, alias defaults to the name', 'external_links: [redis_1, "proj_db_1:mysql"]', { externalLinks: ['redis_1:redis_1', 'proj_db_1:mysql'] }],
    ['mac_address', 'mac_address: "02:42:ac:11:00:02"', { macAddress: '02:42:ac:11:00:02' }],
    ['security_opt', 'security_opt: ["no-new-privileges:true", "seccomp=unconfined"]', { securityOpt: ['no-new-privileges:true', 'seccomp=unconfined'] }],
    ['group_add, numbers as strings', 'group_add: [audio, 44]', { groupAdd: ['audio', '44'] }],
    ['pid host', 'pid: host', { pid: 'host' }],
    ['ipc shareable', 'ipc: shareable', { ipc: 'shareable' }],
    ['ipc container:NAME', 'ipc: "container:db"', { ipc: 'container:db' }],
    ['uts host', 'uts: host', { uts: 'host' }],
    ['userns_mode host', 'userns_mode: host', { usernsMode: 'host' }],
    ['cgroup private', 'cgroup: private', { cgroup: 'private' }],
    ['cgroup_parent', 'cgroup_parent: /dom0', { cgroupParent: '/dom0' }],
    ['runtime', 'runtime: runc', { runtime: 'runc' }],
    ['cpu_shares', 'cpu_shares: 512', { cpuShares: 512 }],
    ['cpu_quota/cpu_period', 'cpu_quota: 50000\ncpu_period: "100000"', { cpuQuota: 50000, cpuPeriod: 100000 }],
    ['cpuset, a number too', 'cpuset: 0', { cpuset: '0' }],
    ['cpuset range', 'cpuset: "0-2,4"', { cpuset: '0-2,4' }],
    ['cpu_rt_*', 'cpu_rt_runtime: 950000\ncpu_rt_period: 1000000', { cpuRtRuntime: 950000, cpuRtPeriod: 1000000 }],
    ['mem_reservation', 'mem_reservation: 256m', { memReservationBytes: 256 * 1024 * 1024 }],
    ['memswap_limit', 'mem_limit: 512m\nmemswap_limit: 1g', { memswapLimitBytes: 1024 ** 3 }],
    ['memswap_limit -1 = unlimited', 'memswap_limit: -1', { memswapLimitBytes: -1 }],
    ['mem_swappiness 0 is kept', 'mem_swappiness: 0', { memSwappiness: 0 }],
    ['oom_kill_disable', 'oom_kill_disable: true', { oomKillDisable: true }],
    ['oom_score_adj negative', 'oom_score_adj: -500', { oomScoreAdj: -500 }],
    ['pids_limit', 'pids_limit: 100', { pidsLimit: 100 }],
    ['pids_limit -1', 'pids_limit: -1', { pidsLimit: -1 }],
    ['dns_opt', 'dns_opt: [use-vc, "ndots:2"]', { dnsOpt: ['use-vc', 'ndots:2'] }],
    ['device_cgroup_rules', 'device_cgroup_rules: ["c 1:3 mr"]', { deviceCgroupRules: ['c 1:3 mr'] }],
    ['storage_opt, sorted', 'storage_opt: {size: 20G, b: 1}', { storageOpt: { b: '1', size: '20G' } }],
    ['annotations, list form', 'annotations: ["com.example.a=1", com.example.flag]', { annotations: { 'com.example.a': '1', 'com.example.flag': '' } }],
    ['gpus all', 'gpus: all', { deviceRequests: [{ capabilities: ['gpu'], count: -1 }] }],
    [
      'gpus list',
      'gpus:\n  - driver: nvidia\n    device_ids: ["0", "3"]\n    capabilities: [compute]',
      { deviceRequests: [{ capabilities: ['compute', 'gpu'], driver: 'nvidia', deviceIds: ['0', '3'] }] },
    ],
    [
      'blkio_config',
      'blkio_config:\n  weight: 300\n  weight_device: [{path: /dev/sda, weight: 400}]\n  device_read_bps: [{path: /dev/sda, rate: 12mb}]\n  device_write_iops: [{path: /dev/sda, rate: 30}]',
      {
        blkio: {
          weight: 300,
          weightDevice: [{ path: '/dev/sda', weight: 400 }],
          deviceReadBps: [{ path: '/dev/sda', rate: 12 * 1024 * 1024 }],
          deviceWriteIops: [{ path: '/dev/sda', rate: 30 }],
        },
      },
    ],
  ])('%s', (_, body, want) => {
    expect(web(body)).toMatchObject(want);
  });

  it.each<[string, string, string]>([
    ['pid service:X naming nothing declared', 'pid: "service:db"', '`web` shares the PID namespace of `db`, which is not declared'],
    ['mac_address with network_mode', 'network_mode: host\nmac_address: "02:42:ac:11:00:02"', '`mac_address` cannot be combined with `network_mode`'],
    ['mac_address not six hex pairs', 'mac_address: "02:42:ac"', 'invalid mac_address: expected six hex pairs'],
    ['ipc service: without a name', 'ipc: "service:"', 'ipc "service:" names no container'],
    ['userns_mode service:X', 'userns_mode: "service:db"', 'userns_mode `service:db` is not supported by dom0'],
    ['uts other than host', 'uts: private', 'invalid uts "private": expected host'],
    ['cgroup value', 'cgroup: shared', 'invalid cgroup "shared": expected host or private'],
    ['mem_swappiness range', 'mem_swappiness: 101', '`mem_swappiness` must be an integer from 0 to 100, got 101'],
    ['oom_score_adj range', 'oom_score_adj: -1001', '`oom_score_adj` must be an integer from -1000 to 1000, got -1001'],
    ['pids_limit below -1', 'pids_limit: -2', '`pids_limit` must be an integer >= -1, got -2'],
    ['memswap_limit garbage', 'memswap_limit: lots', 'invalid size "lots"'],
    ['gpus string other than all', 'gpus: some', 'expected "all" or a list of device requests'],
    ['gpus count with device_ids', 'gpus: [{count: 1, device_ids: ["0"]}]', '`count` and `device_ids` cannot be combined'],
    ['blkio weight range', 'blkio_config: {weight: 5}', '`blkio_config.weight` must be an integer from 10 to 1000, got 5'],
    ['external_links with two colons', 'external_links: ["a:b:c"]', 'invalid link "a:b:c": expected NAME or NAME:ALIAS'],
  ])('rejects %s', (_, body, message) => {
    expect(loadErrors(service(body)).join('\n')).toContain(message);
  });

  it.each<[string, string, string]>([
    ['cpus with cpu_period', 'cpus: 1\ncpu_period: 100000', '`cpu_period` cannot be combined with `cpus`'],
    ['deploy cpus with cpu_quota', 'cpu_quota: 5000\ndeploy: {resources: {limits: {cpus: 1}}}', '`cpu_quota` cannot be combined with `cpus`'],
    ['reservation above the limit', 'mem_limit: 32m\nmem_reservation: 64m', 'the memory reservation is above the memory limit'],
    ['memswap_limit without a memory limit', 'memswap_limit: 1g', '`memswap_limit` needs a memory limit'],
    ['memswap_limit below mem_limit', 'mem_limit: 1g\nmemswap_limit: 512m', 'it must be at least the memory limit'],
  ])('rejects what the engine would refuse: %s', (_, body, message) => {
    expect(loadErrors(service(body)).join('\n')).toContain(message);
  });

  it('accepts cpu_quota -1 with cpus, and memswap_limit -1 without a memory limit', () => {
    expect(web('cpus: 1\ncpu_quota: -1\nmemswap_limit: -1')).toMatchObject({ cpus: 1, cpuQuota: -1, memswapLimitBytes: -1 });
  });

  it('pid/ipc sharing another entry: an implicit dependency that restarts with it, as in compose-go', () => {
    const m = loadOk('services:\n  db: {image: busybox, container_name: db-c}\n  web: {image: busybox, pid: "service:db", ipc: "container:db-c"}\n  top: {image: busybox, ipc: "container:outside"}\n').manifest;
    const web = m.services.find((x) => x.name === 'web')!;
    expect(web).toMatchObject({ pid: 'service:db', ipc: 'container:db-c' });
    expect(web.dependsOn).toEqual([{ name: 'db', condition: 'service_started', restart: true, required: true, implicit: 'pid', holds: 'pid' }]);
    expect(m.services.find((x) => x.name === 'top')!.dependsOn).toEqual([]);
    const cycle = loadErrors('services:\n  a: {image: busybox, pid: "service:b"}\n  b: {image: busybox, ipc: "service:a"}\n').join('\n');
    expect(cycle).toContain('dependency cycle');
  });

  it('a service using none of the keys gets none of the fields (config hashes unchanged)', () => {
    const spec = web('mem_limit: 64m\ncpus: 0.5');
    for (const k of NEW_FIELDS) expect(spec, k).not.toHaveProperty(k);
    expect(spec).toMatchObject({ memLimitBytes: 64 * 1024 * 1024, cpus: 0.5 });
  });

  it('oom_kill_disable: false is the default and leaves no field', () => {
    expect(web('oom_kill_disable: false')).not.toHaveProperty('oomKillDisable');
  });
});

describe('deploy', () => {
  it('resources.limits and reservations land in the same fields as mem_limit, cpus, pids_limit, mem_reservation', () => {
    const spec = web('deploy:\n  resources:\n    limits: {cpus: "0.5", memory: 64m, pids: 100}\n    reservations: {memory: 32m}');
    expect(spec).toMatchObject({ cpus: 0.5, memLimitBytes: 64 * 1024 * 1024, pidsLimit: 100, memReservationBytes: 32 * 1024 * 1024 });
    // Same config, same hash, whichever way it is written.
    expect(configHash(spec, 'sha256:x')).toBe(configHash(web('cpus: 0.5\nmem_limit: 64m\npids_limit: 100\nmem_reservation: 32m'), 'sha256:x'));
  });

  it('equal values in both places are fine; distinct ones are an error, as in compose-go', () => {
    expect(web('mem_limit: 64m\ndeploy: {resources: {limits: {memory: 64m}}}')).toMatchObject({ memLimitBytes: 64 * 1024 * 1024 });
    const errs = loadErrors(service('mem_limit: 64m\ncpus: 1\npids_limit: 5\nmem_reservation: 1m\ndeploy: {resources: {limits: {memory: 32m, cpus: 2, pids: 6}, reservations: {memory: 2m}}}')).join('\n');
    for (const [a, b] of [
      ['mem_limit', 'deploy.resources.limits.memory'],
      ['cpus', 'deploy.resources.limits.cpus'],
      ['pids_limit', 'deploy.resources.limits.pids'],
      ['mem_reservation', 'deploy.resources.reservations.memory'],
    ]) {
      expect(errs).toContain(`can't set distinct values on '${a}' and '${b}'`);
    }
  });

  it('reservations.devices become device requests, after gpus', () => {
    const spec = web('gpus: all\ndeploy:\n  resources:\n    reservations:\n      devices:\n        - {driver: nvidia, count: 2, capabilities: [gpu, utility], options: {b: 1}}');
    expect(spec.deviceRequests).toEqual([
      { capabilities: ['gpu'], count: -1 },
      { capabilities: ['gpu', 'utility'], driver: 'nvidia', count: 2, options: { b: '1' } },
    ]);
    expect(loadErrors(service('deploy: {resources: {reservations: {devices: [{driver: nvidia}]}}}')).join('\n')).toContain('capabilities');
    // Neither count nor device_ids: all matching devices (count -1), as Compose documents.
    expect(web('deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}').deviceRequests).toEqual([{ capabilities: ['gpu'], count: -1 }]);
    expect(web('gpus: [{driver: nvidia}]').deviceRequests).toEqual([{ capabilities: ['gpu'], driver: 'nvidia', count: -1 }]);
  });

  it.each<[string, string, ContainerSpec['restart']]>([
    ['condition none → no', 'condition: none', { name: 'no' }],
    ['condition any → always', 'condition: any', { name: 'always' }],
    ['no condition: any, the Compose spec default', 'delay: 5s', { name: 'always' }],
    ['on-failure', 'condition: on-failure', { name: 'on-failure' }],
    ['on-failure with max_attempts → on-failure:N', 'condition: on-failure\nmax_attempts: 3', { name: 'on-failure', maxRetries: 3 }],
    ['max_attempts 0 = unlimited', 'condition: on-failure\nmax_attempts: 0', { name: 'on-failure' }],
  ])('restart_policy %s', (_, body, want) => {
    expect(web(`deploy:\n  restart_policy:\n${body.replace(/^/gm, '    ')}`).restart).toEqual(want);
  });

  it('restart_policy wins over restart, with a warning (docker/compose does the same)', () => {
    const r = loadOk(service('restart: always\ndeploy: {restart_policy: {condition: on-failure, max_attempts: 2}}'));
    expect(r.manifest.services[0]!.restart).toEqual({ name: 'on-failure', maxRetries: 2 });
    expect(r.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual(['4: warning: `restart` is overridden by `deploy.restart_policy`, as in Compose']);
  });

  it('restart_policy errors: max_attempts without on-failure, unknown condition, any on a job', () => {
    expect(loadErrors(service('deploy: {restart_policy: {condition: any, max_attempts: 3}}')).join('\n')).toContain('max_attempts needs `condition: on-failure`');
    expect(loadErrors(service('deploy: {restart_policy: {condition: always}}')).join('\n')).toContain('invalid restart_policy condition "always": expected none, on-failure or any');
    expect(loadErrors('jobs:\n  migrate:\n    image: busybox\n    deploy: {restart_policy: {}}\n').join('\n')).toContain('a job runs to completion, so restart_policy condition `any` (the default)');
    // restart_policy overrides `restart`, so an overridden `restart: always` on a job is no error.
    expect(loadOk('jobs:\n  migrate:\n    image: busybox\n    restart: always\n    deploy: {restart_policy: {condition: on-failure}}\n').manifest.jobs[0]!.restart).toEqual({ name: 'on-failure' });
  });

  it('Swarm-only keys, delay/window and CPU reservations are ignored with one warning each, at the key', () => {
    const r = loadOk(
      service(
        'deploy:\n  mode: replicated\n  replicas: 1\n  placement: {constraints: [node.role==manager]}\n  update_config: {parallelism: 2}\n' +
          '  resources:\n    reservations: {cpus: "0.25"}\n  restart_policy: {condition: on-failure, delay: 5s, window: 2m}',
      ),
    );
    const warnings = r.warnings.map((w) => `${w.line}: ${w.message}`);
    expect(warnings).toEqual([
      expect.stringMatching(/^5: warning: deploy\.mode is ignored: it is a Swarm setting/),
      expect.stringMatching(/^6: warning: deploy\.replicas is ignored/),
      expect.stringMatching(/^7: warning: placement constraint `node.role==manager` has no meaning outside a Swarm cluster/),
      expect.stringMatching(/^8: warning: deploy\.update_config is ignored/),
      expect.stringMatching(/^10: warning: deploy\.resources\.reservations\.cpus is ignored/),
      expect.stringMatching(/^11: warning: deploy\.restart_policy\.delay is ignored: dom0 restarts with its own backoff/),
      expect.stringMatching(/^11: warning: deploy\.restart_policy\.window is ignored/),
    ]);
    expect(r.manifest.services[0]!.restart).toEqual({ name: 'on-failure' });
    expect(r.manifest.services[0]).not.toHaveProperty('cpus');
  });

  it('unknown deploy keys are errors with a suggestion; an empty deploy changes nothing', () => {
    expect(loadErrors(service('deploy: {resources: {limit: {memory: 1m}}}')).join('\n')).toMatch(/unknown key `limit`.*limits/);
    const plain = web('restart: always');
    expect(configHash(web('restart: always\ndeploy: {}'), 'i')).toBe(configHash(plain, 'i'));
  });
});
