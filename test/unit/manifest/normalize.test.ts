import { describe, expect, it } from 'vitest';
import { FILE, loadErrors, loadOk } from './helpers.js';

const one = (yaml: string, o = {}) => {
  const { manifest } = loadOk(yaml, o);
  const all = [...manifest.services, ...manifest.jobs];
  return all[0]!;
};

describe('defaults', () => {
  it('fills every default of a service', () => {
    const { manifest } = loadOk('services:\n  web:\n    image: nginx\n');
    expect(manifest).toMatchObject({ file: FILE, name: 'dom0', pullPolicy: 'missing', volumeContainers: [], jobs: [], volumes: {}, registries: {} });
    expect(manifest.services).toEqual([
      {
        kind: 'service',
        name: 'web',
        containerName: 'web',
        image: 'nginx',
        environment: {},
        ports: [],
        expose: [],
        volumes: [],
        volumesFrom: [],
        links: [],
        dependsOn: [],
        restart: { name: 'no' },
        labels: {},
        privileged: false,
        capAdd: [],
        capDrop: [],
        devices: [],
        networks: { default: { aliases: ['web'] } },
        extraHosts: [],
        dns: [],
        dnsSearch: [],
        tmpfs: [],
        init: false,
        readOnly: false,
        sysctls: {},
        ulimits: {},
        pullPolicy: 'missing',
        tty: false,
        stdinOpen: false,
        position: { line: 2, col: 3 },
      },
    ]);
  });

  it('fills the defaults of a volume container', () => {
    const { manifest } = loadOk('volume_containers:\n  data:\n    image: busybox\n    paths: /data\n');
    expect(manifest.volumeContainers).toEqual([
      { kind: 'volume', name: 'data', containerName: 'data', image: 'busybox', paths: ['/data'], command: ['/bin/true'], labels: {}, pullPolicy: 'missing', position: { line: 2, col: 3 } },
    ]);
  });

  it('uses the manifest pull_policy as the entries default, daily/weekly/every_ as intervals', () => {
    const { manifest } = loadOk(
      'pull_policy: daily\nservices:\n  a1: {image: x}\n  b1: {image: x, pull_policy: weekly}\n  c1: {image: x, pull_policy: every_12h}\n  d1: {image: x, pull_policy: if_not_present}\n',
    );
    expect(manifest.pullPolicy).toEqual({ everyMs: 86_400_000 });
    expect(manifest.services.map((s) => s.pullPolicy)).toEqual([{ everyMs: 86_400_000 }, { everyMs: 604_800_000 }, { everyMs: 43_200_000 }, 'missing']);
  });

  it('jobs default to restart "no" and accept on-failure:N', () => {
    const { manifest } = loadOk('jobs:\n  j1: {image: x}\n  j2: {image: x, restart: "on-failure:3"}\n');
    expect(manifest.jobs.map((j) => [j.kind, j.restart])).toEqual([
      ['job', { name: 'no' }],
      ['job', { name: 'on-failure', maxRetries: 3 }],
    ]);
  });
});

describe('short syntaxes', () => {
  it('splits string commands like a shell and keeps lists', () => {
    const s = one('services:\n  web:\n    image: x\n    command: sh -c "echo hi"\n    entrypoint: ["/init", 1]\n');
    expect(s.command).toEqual(['sh', '-c', 'echo hi']);
    expect(s.entrypoint).toEqual(['/init', '1']);
  });

  it('merges env_file then environment; bare keys come from the environment or are dropped', () => {
    const s = one(
      'services:\n  web:\n    image: x\n    env_file: [./a.env, {path: ./opt.env, required: false}]\n    environment:\n      - B=from-manifest\n      - FROM_SHELL\n      - NOT_SET\n      - EMPTY=\n',
      { env: { FROM_SHELL: 'shell' }, files: { '/srv/dom0/a.env': 'A=1\nB=from-file\n' } },
    );
    expect(s.environment).toEqual({ A: '1', B: 'from-manifest', EMPTY: '', FROM_SHELL: 'shell' });
    expect(Object.keys(s.environment)).toEqual(['A', 'B', 'EMPTY', 'FROM_SHELL']);
  });

  it('turns map values that are numbers, bools or null into strings or env lookups', () => {
    const s = one('services:\n  web:\n    image: x\n    environment: {N: 1, T: true, F: 0.5, X: null, Y: }\n', { env: { X: 'from-env' } });
    expect(s.environment).toEqual({ F: '0.5', N: '1', T: 'true', X: 'from-env' });
  });

  it('accepts labels and sysctls as lists or maps, sorted', () => {
    const s = one('services:\n  web:\n    image: x\n    labels: [z=1, a=2, bare]\n    sysctls: {net.core.somaxconn: 1024}\n');
    expect(s.labels).toEqual({ a: '2', bare: '', z: '1' });
    expect(Object.keys(s.labels)).toEqual(['a', 'bare', 'z']);
    expect(s.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
  });

  it('resolves bind sources against the manifest directory and ~ against HOME', () => {
    const s = one('volumes: {data: {}}\nservices:\n  web:\n    image: x\n    volumes: [./site:/www:ro, ../up:/up, ~/cfg:/cfg, /abs:/abs, data:/data, /anon]\n', { env: { HOME: '/home/me' } });
    expect(s.volumes).toEqual([
      { type: 'bind', source: '/srv/dom0/site', target: '/www', readOnly: true },
      { type: 'bind', source: '/srv/up', target: '/up', readOnly: false },
      { type: 'bind', source: '/home/me/cfg', target: '/cfg', readOnly: false },
      { type: 'bind', source: '/abs', target: '/abs', readOnly: false },
      { type: 'volume', source: 'data', target: '/data', readOnly: false },
      { type: 'anonymous', target: '/anon', readOnly: false },
    ]);
  });

  it('normalizes the remaining scalar and list keys', () => {
    const s = one(
      [
        'services:',
        '  web:',
        '    image: x',
        '    user: 1000',
        '    working_dir: /app',
        '    hostname: h',
        '    domainname: example.org',
        '    privileged: "true"',
        '    cap_add: [NET_ADMIN]',
        '    cap_drop: [ALL]',
        '    devices: [/dev/fuse, "/dev/a:/dev/b"]',
        '    extra_hosts: {db: 10.0.0.2, v6: "::1"}',
        '    dns: 1.1.1.1',
        '    dns_search: [example.org]',
        '    tmpfs: /run',
        '    init: true',
        '    read_only: true',
        '    stop_signal: SIGINT',
        '    stop_grace_period: 1m30s',
        '    mem_limit: 512m',
        '    cpus: "0.5"',
        '    shm_size: 64m',
        '    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}',
        '    tty: true',
        '    stdin_open: true',
        '    logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}',
        '    platform: linux/amd64',
        '    expose: [80, "53/udp"]',
        '    healthcheck: {test: curl -f http://localhost, timeout: 5s, start_period: 1m, start_interval: 1s}',
      ].join('\n'),
    );
    expect(s).toMatchObject({
      user: '1000',
      workingDir: '/app',
      hostname: 'h',
      domainname: 'example.org',
      privileged: true,
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      devices: ['/dev/fuse:/dev/fuse:rwm', '/dev/a:/dev/b:rwm'],
      extraHosts: ['db:10.0.0.2', 'v6:::1'],
      dns: ['1.1.1.1'],
      dnsSearch: ['example.org'],
      tmpfs: ['/run'],
      init: true,
      readOnly: true,
      stopSignal: 'SIGINT',
      stopGracePeriodMs: 90_000,
      memLimitBytes: 512 * 2 ** 20,
      cpus: 0.5,
      shmSizeBytes: 64 * 2 ** 20,
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: { soft: 512, hard: 512 } },
      tty: true,
      stdinOpen: true,
      logging: { driver: 'json-file', options: { 'max-file': '3', 'max-size': '10m' } },
      platform: 'linux/amd64',
      expose: ['80/tcp', '53/udp'],
      healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost'], timeoutMs: 5000, startPeriodMs: 60_000, startIntervalMs: 1000 },
    });
  });

  it('disable: true turns the healthcheck off', () => {
    expect(one('services:\n  web:\n    image: x\n    healthcheck: {disable: true}\n').healthcheck).toEqual({ test: ['NONE'] });
  });
});

describe('implicit dependencies', () => {
  const yaml = `
volume_containers:
  data: {image: busybox, paths: [/data]}
jobs:
  seed: {image: busybox, volumes_from: [data]}
services:
  db: {image: postgres}
  vpn: {image: vpn}
  app:
    image: app
    volumes_from: [data, "seed:ro"]
    links: ["db:database"]
    network_mode: "service:vpn"
  proxy:
    image: proxy
    depends_on:
      app: {condition: service_healthy, restart: true, required: false, timeout: 30s}
    links: [app]
  sidecar:
    image: x
    network_mode: "container:vpn"
`;
  it('adds edges for volumes_from, links and network_mode, sorted by name', () => {
    const { manifest } = loadOk(yaml);
    const by = (n: string) => [...manifest.services, ...manifest.jobs].find((s) => s.name === n)!;
    expect(by('app').dependsOn).toEqual([
      { name: 'data', condition: 'service_started', restart: false, required: true, implicit: 'volumes_from' },
      { name: 'db', condition: 'service_started', restart: false, required: true, implicit: 'links', holds: 'links' },
      { name: 'seed', condition: 'service_completed_successfully', restart: false, required: true, implicit: 'volumes_from' },
      { name: 'vpn', condition: 'service_started', restart: false, required: true, implicit: 'network_mode', holds: 'network_mode' },
    ]);
    expect(by('app').links).toEqual([{ name: 'db', alias: 'database' }]);
    expect(by('app').volumesFrom).toEqual([
      { name: 'data', readOnly: false },
      { name: 'seed', readOnly: true },
    ]);
    expect(by('app').networks).toEqual({});
    expect(by('app').networkMode).toBe('service:vpn');
    expect(by('sidecar').dependsOn).toMatchObject([{ name: 'vpn', implicit: 'network_mode' }]);
    expect(by('seed').dependsOn).toMatchObject([{ name: 'data', implicit: 'volumes_from' }]);
  });

  it('keeps a declared dependency instead of an implicit one', () => {
    const { manifest } = loadOk(yaml);
    expect(manifest.services.find((s) => s.name === 'proxy')!.dependsOn).toEqual([
      { name: 'app', condition: 'service_healthy', restart: true, required: false, timeoutMs: 30_000, holds: 'links' },
    ]);
  });

  // The declared form wins for the condition, but a held namespace still binds the two.
  it.each([
    ['network_mode: "container:vpn-c"', 'network_mode'],
    ['network_mode: "service:vpn"', 'network_mode'],
    ['pid: "container:vpn-c"', 'pid'],
    ['links: [vpn]', 'links'],
    ['volumes_from: [vpn]', undefined],
  ])('declared in depends_on and %s: held = %s', (key, holds) => {
    const { manifest } = loadOk(`services:\n  vpn: {image: v, container_name: vpn-c}\n  app:\n    image: a\n    ${key}\n    depends_on: [vpn]\n`);
    const dep = manifest.services.find((s) => s.name === 'app')!.dependsOn;
    expect(dep).toEqual([{ name: 'vpn', condition: 'service_started', restart: false, required: true, ...(holds ? { holds } : {}) }]);
  });

  it('list-form depends_on means service_started, required, no restart', () => {
    const s = one('services:\n  web:\n    image: x\n    depends_on: [db, db]\n  db:\n    image: y\n');
    expect(s.dependsOn).toEqual([]);
    const { manifest } = loadOk('services:\n  web:\n    image: x\n    depends_on: [db, db]\n  db:\n    image: y\n');
    expect(manifest.services.find((x) => x.name === 'web')!.dependsOn).toEqual([
      { name: 'db', condition: 'service_started', restart: false, required: true },
    ]);
  });
});

describe('networks and volumes', () => {
  it('always has the fleet network "default" named after the fleet', () => {
    const { manifest } = loadOk('name: homelab\nservices:\n  web: {image: x}\n');
    expect(manifest.networks).toEqual({
      default: { key: 'default', name: 'homelab', driver: 'bridge', driverOpts: {}, labels: {}, external: false, internal: false, attachable: false, enableIpv6: false },
    });
  });

  it('lets the user redefine default, and prefixes other networks and volumes with the fleet', () => {
    const { manifest } = loadOk(`
name: lab
networks:
  default: {driver: macvlan, driver_opts: {parent: eth0}}
  back: {internal: true, ipam: {config: [{subnet: 10.1.0.0/24, gateway: 10.1.0.1, ip_range: 10.1.0.128/25}]}}
  outside: {external: true}
  named: {name: custom}
volumes:
  data: {labels: [a=b]}
  shared: {external: true}
  fixed: {name: exact, driver: local}
services:
  web:
    image: x
    networks:
      back: {aliases: [www], ipv4_address: 10.1.0.5}
      default:
`);
    expect(manifest.networks.default).toMatchObject({ key: 'default', name: 'lab', driver: 'macvlan', driverOpts: { parent: 'eth0' } });
    expect(manifest.networks.back).toMatchObject({ name: 'lab_back', internal: true, ipam: { config: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.1', ipRange: '10.1.0.128/25' }] } });
    expect(manifest.networks.outside).toMatchObject({ name: 'outside', external: true });
    expect(manifest.networks.named!.name).toBe('custom');
    expect(manifest.volumes).toEqual({
      data: { key: 'data', name: 'lab_data', driverOpts: {}, labels: { a: 'b' }, external: false },
      fixed: { key: 'fixed', name: 'exact', driver: 'local', driverOpts: {}, labels: {}, external: false },
      shared: { key: 'shared', name: 'shared', driverOpts: {}, labels: {}, external: true },
    });
    expect(manifest.services[0]!.networks).toEqual({
      back: { aliases: ['web', 'www'], ipv4Address: '10.1.0.5' },
      default: { aliases: ['web'] },
    });
  });

  it('omits the fleet network when every container uses network_mode', () => {
    const { manifest } = loadOk('services:\n  web: {image: x, network_mode: host}\n');
    expect(manifest.networks).toEqual({});
  });
});

describe('container names', () => {
  it('uses container_name or the entry key', () => {
    const { manifest } = loadOk('services:\n  web: {image: x, container_name: frontend}\n  db: {image: y}\n');
    expect(manifest.services.map((s) => [s.name, s.containerName])).toEqual([
      ['db', 'db'],
      ['web', 'frontend'],
    ]);
  });

  it.each([
    ['my web', 'invalid container name "my web"'],
    ['a/b', 'invalid container name "a/b"'],
    ['..', 'invalid container name ".."'],
    ['-x', 'invalid container name "-x"'],
    ['x'.repeat(254), '254 characters'],
  ])('rejects %j', (name, msg) => {
    const errs = loadErrors(`services:\n  web: {image: x, container_name: ${JSON.stringify(name)}}\n`);
    expect(errs.join('\n')).toContain(msg);
  });

  it('accepts 253 characters', () => {
    loadOk(`services:\n  web: {image: x, container_name: ${'x'.repeat(253)}}\n`);
  });
});

describe('determinism', () => {
  it('gives deep-equal output for the same input and ignores entry order', () => {
    const a = 'services:\n  b1: {image: x, labels: {z: 1, a: 2}}\n  a1: {image: y}\n';
    const b = 'services:\n  a1: {image: y}\n  b1: {image: x, labels: {a: 2, z: 1}}\n';
    expect(loadOk(a).manifest).toEqual(loadOk(a).manifest);
    const strip = (m: ReturnType<typeof loadOk>['manifest']) => JSON.stringify({ ...m, services: m.services.map(({ position: _, ...s }) => s) });
    expect(strip(loadOk(a).manifest)).toBe(strip(loadOk(b).manifest));
  });
});
