// Compose's merge rules for `-f a.yaml -f b.yaml`, ported from compose-go's override and loader
// tests (the behaviours, as table cases).
import { describe, expect, it } from 'vitest';
import { compose, DIR, loadErrors, loadOk, merged } from './compose-helpers.js';

const web = (yaml: string) => `services:\n  web:\n${yaml.replace(/^/gm, '    ')}\n`;
const webOf = (tree: Record<string, unknown>) => (tree.services as Record<string, Record<string, unknown>>).web!;

describe('merge rules per key (services.web.<key>)', () => {
  const cases: Array<[name: string, a: string, b: string, key: string, expected: unknown]> = [
    ['a scalar is replaced', 'image: a', 'image: b', 'image', 'b'],
    ['a mapping merges key by key', 'healthcheck: {interval: 5s, retries: 3}', 'healthcheck: {retries: 5}', 'healthcheck', { interval: '5s', retries: 5 }],
    ['command replaces (list)', 'command: [a, b]', 'command: [c]', 'command', ['c']],
    ['command replaces (string over list)', 'command: [a, b]', 'command: echo hi', 'command', 'echo hi'],
    ['entrypoint replaces', 'entrypoint: [sh, -c]', 'entrypoint: [bash]', 'entrypoint', ['bash']],
    ['healthcheck.test replaces', 'healthcheck: {test: [CMD, a], retries: 1}', 'healthcheck: {test: [CMD, b]}', 'healthcheck', { test: ['CMD', 'b'], retries: 1 }],
    ['environment: list + list, by name', 'environment: [A=1, B=2]', 'environment: [B=3, C=4]', 'environment', ['A=1', 'B=3', 'C=4']],
    ['environment: map + list', 'environment: {A: "1", B: "2"}', 'environment: [B=3]', 'environment', ['A=1', 'B=3']],
    ['environment: list + map', 'environment: [A=1]', 'environment: {A: "2", C: null}', 'environment', ['A=2', 'C']],
    ['environment: map + map', 'environment: {FOO: foo, BAR: bar}', 'environment: {BAR: baz}', 'environment', ['BAR=baz', 'FOO=foo']],
    ['labels merge by key', 'labels: {a: "1"}', 'labels: [a=2, b=3]', 'labels', ['a=2', 'b=3']],
    ['ports append unique', 'ports: ["8080:80", "9090:90"]', 'ports: ["8080:80", "7070:70"]', 'ports', ['8080:80', '9090:90', '7070:70']],
    ['long-form ports are unique by address', 'ports: [{target: 80, published: "8080"}]', 'ports: [{target: 80, published: "8080", protocol: tcp}]', 'ports', [{ target: 80, published: '8080', protocol: 'tcp' }]],
    ['expose appends unique', 'expose: ["80", 81]', 'expose: [81, "82"]', 'expose', ['80', 81, '82']],
    ['volumes merge by target', 'volumes: ["./a:/data", "/x:/x:ro"]', 'volumes: ["./b:/data", "/y:/y"]', 'volumes', ['./b:/data', '/x:/x:ro', '/y:/y']],
    ['long-form volumes by target', 'volumes: [{type: bind, source: ./a, target: /data}]', 'volumes: ["./b:/data:ro"]', 'volumes', ['./b:/data:ro']],
    ['secrets merge by target', 'secrets: [a, {source: b, target: /x}]', 'secrets: [{source: c, target: /run/secrets/a}, d]', 'secrets', [{ source: 'c', target: '/run/secrets/a' }, { source: 'b', target: '/x' }, 'd']],
    ['configs merge by target', 'configs: [a]', 'configs: [{source: b, target: /a}]', 'configs', [{ source: 'b', target: '/a' }]],
    ['dns appends unique', 'dns: 8.8.8.8', 'dns: [1.1.1.1, 8.8.8.8]', 'dns', ['8.8.8.8', '1.1.1.1']],
    ['extra_hosts by host, list or map', 'extra_hosts: ["a:1.1.1.1", "b:2.2.2.2"]', 'extra_hosts: {a: 3.3.3.3}', 'extra_hosts', ['a=3.3.3.3', 'b:2.2.2.2']],
    ['cap_add appends unique', 'cap_add: [NET_ADMIN]', 'cap_add: [SYS_TIME, NET_ADMIN]', 'cap_add', ['NET_ADMIN', 'SYS_TIME']],
    ['sysctls merge by key', 'sysctls: {net.core.somaxconn: 1024}', 'sysctls: [net.core.somaxconn=2048]', 'sysctls', ['net.core.somaxconn=2048']],
    ['ulimits: a mapping merges', 'ulimits: {nofile: {soft: 1, hard: 2}}', 'ulimits: {nofile: {hard: 3}}', 'ulimits', { nofile: { soft: 1, hard: 3 } }],
    ['ulimits: a number replaces', 'ulimits: {nofile: {soft: 1, hard: 2}, nproc: 5}', 'ulimits: {nofile: 9}', 'ulimits', { nofile: 9, nproc: 5 }],
    [
      'depends_on: list + map, with the defaults of the short form',
      'depends_on: [db]',
      'depends_on: {cache: {condition: service_healthy}}',
      'depends_on',
      { db: { condition: 'service_started', required: true }, cache: { condition: 'service_healthy' } },
    ],
    ['depends_on: the same dependency merges', 'depends_on: {db: {condition: service_healthy}}', 'depends_on: [db]', 'depends_on', { db: { condition: 'service_started', required: true } }],
    ['networks: list + map', 'networks: [front]', 'networks: {back: {aliases: [b]}}', 'networks', { front: null, back: { aliases: ['b'] } }],
    ['networks: aliases append unique', 'networks: {front: {aliases: [a]}}', 'networks: {front: {aliases: [a, b]}}', 'networks', { front: { aliases: ['a', 'b'] } }],
    ['logging: same driver merges options', 'logging: {driver: json-file, options: {max-size: 1m}}', 'logging: {options: {max-file: "3"}}', 'logging', { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } }],
    ['logging: another driver replaces', 'logging: {driver: json-file, options: {max-size: 1m}}', 'logging: {driver: syslog}', 'logging', { driver: 'syslog' }],
    ['build: a string and a mapping merge', 'build: ./app', 'build: {dockerfile: Other}', 'build', { context: './app', dockerfile: 'Other' }],
    ['build.args merge by name', 'build: {context: ., args: {A: "1"}}', 'build: {args: [A=2, B=3]}', 'build', { context: '.', args: ['A=2', 'B=3'] }],
    ['env_file appends unique', 'env_file: [a.env]', 'env_file: [b.env, a.env]', 'env_file', ['a.env', 'b.env']],
    ['tmpfs appends unique', 'tmpfs: /run', 'tmpfs: [/run, /tmp]', 'tmpfs', ['/run', '/tmp']],
    ['profiles append unique', 'profiles: [a]', 'profiles: [b, a]', 'profiles', ['a', 'b']],
    ['a null in the override keeps the base value', 'restart: always', 'restart: null', 'restart', 'always'],
    ['x- keys are replaced, not merged', 'x-meta: {a: 1}', 'x-meta: {b: 2}', 'x-meta', { b: 2 }],
    ['!reset drops a value', 'ports: ["80:80"]', 'ports: !reset []', 'ports', undefined],
    ['!reset drops a scalar', 'user: root', 'user: !reset null', 'user', undefined],
    ['!override replaces a list', 'ports: ["80:80", "81:81"]', 'ports: !override ["82:82"]', 'ports', ['82:82']],
    ['!override replaces a mapping', 'healthcheck: {interval: 5s, retries: 3}', 'healthcheck: !override {retries: 5}', 'healthcheck', { retries: 5 }],
    ['!override replaces environment', 'environment: {A: "1", B: "2"}', 'environment: !override {C: "3"}', 'environment', { C: '3' }],
    ['!reset inside a mapping', 'healthcheck: {interval: 5s, retries: 3}', 'healthcheck: {retries: !reset 0}', 'healthcheck', { interval: '5s' }],
  ];
  it.each(cases)('%s', (_name, a, b, key, expected) => {
    expect(webOf(merged(web(a), web(b)))[key]).toEqual(expected);
  });
});

describe('merge of whole files', () => {
  it('adds services, volumes and networks from the second file and keeps the first file order', () => {
    const t = merged('services:\n  web: {image: a}\nvolumes:\n  data: {}\n', 'services:\n  db: {image: b}\n  web: {restart: always}\nnetworks:\n  back: {}\n');
    expect(Object.keys(t.services as object)).toEqual(['web', 'db']);
    expect(webOf(t)).toEqual({ image: 'a', restart: 'always' });
    expect(t.volumes).toEqual({ data: {} });
    expect(t.networks).toEqual({ back: {} });
  });

  it('!reset removes a whole service (compose-go TestResetRemove, with a network)', () => {
    const t = merged('networks:\n  test: {name: test, external: true}\nservices:\n  web: {image: a}\n  dbg: {image: b}\n', 'networks:\n  test: !reset {}\nservices:\n  dbg: !reset\n');
    expect(t.networks).toEqual({});
    expect(Object.keys(t.services as object)).toEqual(['web']);
  });

  it('!override replaces a whole definition (compose-go TestOverrideReplace)', () => {
    const t = merged('networks:\n  test: {name: test, external: true}\n', 'networks:\n  test: !override {}\n');
    expect(t.networks).toEqual({ test: {} });
  });

  it('tags in the first file are dropped or unwrapped, never merged', () => {
    const t = compose({ [`${DIR}/a.yaml`]: web('image: a\nuser: !reset root\nports: !override ["1:1"]') });
    expect(t.errors).toEqual([]);
    expect(webOf(t.value)).toEqual({ image: 'a', ports: ['1:1'] });
  });

  it('merges three files in order', () => {
    const files = { [`${DIR}/a.yaml`]: web('image: a\nenvironment: [X=1]'), [`${DIR}/b.yaml`]: web('environment: [X=2]'), [`${DIR}/c.yaml`]: web('image: c') };
    const t = compose(files);
    expect(webOf(t.value)).toEqual({ image: 'c', environment: ['X=2'] });
  });

  it('jobs and volume containers merge as services do', () => {
    const t = merged('jobs:\n  migrate: {image: a, command: [a, b]}\n', 'jobs:\n  migrate: {command: [c]}\n');
    expect((t.jobs as Record<string, unknown>).migrate).toEqual({ image: 'a', command: ['c'] });
  });

  it('a list overriding a mapping is an error at the override', () => {
    const r = compose({ [`${DIR}/a.yaml`]: web('image: a\nhealthcheck: {retries: 1}'), [`${DIR}/b.yaml`]: web('healthcheck: [x]') });
    expect(r.errors).toEqual([`${DIR}/b.yaml:3:18: cannot override services.web.healthcheck: it is a mapping in the file before, a list here`]);
  });
});

describe('several files loaded as one manifest', () => {
  const a = `${DIR}/compose.yaml`;
  const b = `/etc/other/override.yaml`;

  it('relative paths of every file resolve against the first file’s directory; origin is the first file', () => {
    const m = loadOk({ [a]: 'services:\n  web:\n    image: busybox\n', [b]: 'services:\n  web:\n    volumes: ["./data:/data"]\n' });
    expect(m.file).toBe(a);
    expect(m.origin).toBe(a);
    expect(m.name).toBe('app');
    expect(m.services[0]!.volumes).toEqual([expect.objectContaining({ type: 'bind', source: `${DIR}/data`, target: '/data' })]);
  });

  it('a diagnostic points at the file the bad value came from', () => {
    const errs = loadErrors({ [a]: 'services:\n  web:\n    image: busybox\n    restart: always\n', [b]: 'services:\n  web:\n    ports: ["x"]\n    restart: sometimes\n' });
    expect(errs).toEqual([
      `${b}:3:13: invalid port "x": container port "x" is not a port or a range like 8000-8010`,
      `${b}:4:14: invalid restart policy "sometimes": expected no, always, unless-stopped or on-failure[:N]`,
    ]);
  });

  it('a value of the first file keeps its place after a merge', () => {
    const errs = loadErrors({ [a]: 'services:\n  web:\n    image: busybox\n    ports: ["y"]\n', [b]: 'services:\n  web:\n    ports: ["80:80"]\n' });
    expect(errs).toEqual([`${a}:4:13: invalid port "y": container port "y" is not a port or a range like 8000-8010`]);
  });

  it('inside a mapping merged from both files, each value keeps its own file', () => {
    const errs = loadErrors({
      [a]: 'services:\n  web:\n    image: busybox\n    healthcheck: {test: [CMD, x], interval: soon}\n',
      [b]: 'services:\n  web:\n    healthcheck:\n      retries: many\n',
    });
    expect(errs.map((e) => e.slice(0, e.indexOf(': '))).sort()).toEqual([`${b}:4:16`, `${a}:4:45`]);
  });

  it('a file that cannot be read is an error naming it', () => {
    expect(loadErrors({ [a]: 'services:\n  web: {image: busybox}\n' }, [a, `${DIR}/missing.yaml`])).toEqual([`${DIR}/missing.yaml:1:1: cannot read manifest: no such file`]);
  });
});

describe('which files (-f, $DOM0_MANIFEST)', () => {
  const cwd = process.cwd();
  const cases: Array<[name: string, file: string[] | undefined, env: Record<string, string>, expected: string[]]> = [
    ['-f, repeated, in order; relative to the current directory', ['a.yaml', '/etc/b.yaml'], { DOM0_MANIFEST: '/x.yaml' }, [`${cwd}/a.yaml`, '/etc/b.yaml']],
    ['-f - is stdin', ['-', 'b.yaml'], {}, ['-', `${cwd}/b.yaml`]],
    ['$DOM0_MANIFEST: one path', undefined, { DOM0_MANIFEST: '/srv/dom0.yaml' }, ['/srv/dom0.yaml']],
    ['$DOM0_MANIFEST: a list, split on ":"', undefined, { DOM0_MANIFEST: '/srv/a.yaml:b.yaml' }, ['/srv/a.yaml', `${cwd}/b.yaml`]],
    ['$DOM0_PATH_SEPARATOR overrides the separator', undefined, { DOM0_MANIFEST: '/srv/a.yaml;/srv/b.yaml', DOM0_PATH_SEPARATOR: ';' }, ['/srv/a.yaml', '/srv/b.yaml']],
  ];
  it.each(cases)('%s', async (_name, file, env, expected) => {
    const { manifestFiles, manifestPath } = await import('../../../src/cli/context.js');
    expect(manifestFiles(file ? { file } : {}, env)).toEqual(expected);
    expect(manifestPath(file ? { file } : {}, env)).toBe(expected[0]);
  });
});
