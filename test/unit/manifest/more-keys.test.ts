// More single-host Compose keys (issue 10): label_file, volume_driver, platform, isolation,
// env_file format raw, CDI devices, CPU durations, per-attachment network keys and top-level
// network keys — what each becomes in the normalized manifest, what is still an error, and that
// each one is part of the config hash.
import { describe, expect, it } from 'vitest';
import { parseRawEnv } from '../../../src/manifest/dotenv.js';
import { configHash } from '../../../src/reconcile/hash.js';
import type { ContainerSpec, NetworkSpec } from '../../../src/manifest/types.js';
import { loadErrors, loadOk, type TestLoadOptions } from './helpers.js';

const service = (body: string): string => `services:\n  web:\n    image: busybox\n${body.replace(/^/gm, '    ')}\n`;
const web = (body: string, o?: TestLoadOptions): ContainerSpec => loadOk(service(body), o).manifest.services[0]!;

describe('service keys → normalized spec', () => {
  it.each<[string, string, Partial<ContainerSpec>]>([
    ['volume_driver', 'volume_driver: local', { volumeDriver: 'local' }],
    ['isolation (the engine decides what it accepts)', 'isolation: default', { isolation: 'default' }],
    ['platform', 'platform: linux/amd64', { platform: 'linux/amd64' }],
    ['cpu_period as a duration', 'cpu_period: 100ms', { cpuPeriod: 100_000 }],
    ['cpu_quota as a duration', 'cpu_quota: 50ms', { cpuQuota: 50_000 }],
    ['cpu_quota -1', 'cpu_quota: -1', { cpuQuota: -1 }],
    ['cpu_rt_runtime as a duration', 'cpu_rt_runtime: 400ms', { cpuRtRuntime: 400_000 }],
    ['cpu_rt_period in microseconds, a string', 'cpu_rt_period: "1400"', { cpuRtPeriod: 1400 }],
    ['cpu_rt_period with a µs unit', 'cpu_rt_period: 1400us', { cpuRtPeriod: 1400 }],
    ['cpu_period 1m30s', 'cpu_period: 1s', { cpuPeriod: 1_000_000 }],
    ['a CDI device is kept by name', 'devices: ["nvidia.com/gpu=all", "/dev/null:/dev/nul2"]', { devices: ['nvidia.com/gpu=all', '/dev/null:/dev/nul2:rwm'] }],
  ])('%s', (_, body, want) => {
    expect(web(body)).toMatchObject(want);
  });

  it.each<[string, string, string]>([
    ['cpu_period with an unknown unit', 'cpu_period: 10x', 'expected whole microseconds (an integer >= 0) or a duration such as 100ms: invalid duration "10x"'],
    ['cpu_period below 0', 'cpu_period: -1', 'dom0.yaml:4:17: expected whole microseconds (an integer >= 0)'],
    ['a device that is neither a path nor a CDI name', 'devices: ["sda"]', 'CDI device name'],
    ['a CDI name without a class', 'devices: ["nvidia.com=gpu"]', 'CDI device name'],
    ['empty volume_driver', 'volume_driver: ""', '`volume_driver` must not be empty'],
    ['env_file format other than raw', 'env_file: [{path: ./a.env, format: yaml}]', '`env_file[0].format` is invalid'],
    ['service-level driver_opts', 'driver_opts: {a: b}', 'networks.<key>.driver_opts'],
  ])('error: %s', (_, body, needle) => {
    expect(loadErrors(service(body)).join('\n')).toContain(needle);
  });
});

describe('label_file', () => {
  const files = {
    '/srv/dom0/a.labels': 'com_a=1\ncom.example.b="two words"\n# comment\ncom.example.c=${com_a}-x\n',
    '/srv/dom0/b.labels': 'com.example.b=from-b\ncom.example.d=${com_a}\n',
  };

  it('files in order, interpolated from the labels read before, then `labels` over them', () => {
    const s = web('label_file: [./a.labels, ./b.labels]\nlabels: {com.example.d: own}', { files });
    expect(s.labels).toEqual({ com_a: '1', 'com.example.b': 'from-b', 'com.example.c': '1-x', 'com.example.d': 'own' });
  });

  it('one path, not a list', () => {
    expect(web('label_file: ./a.labels', { files }).labels).toMatchObject({ com_a: '1', 'com.example.b': 'two words' });
  });

  it('a missing file is an error (label files are never optional in Compose)', () => {
    expect(loadErrors(service('label_file: ./none.labels'), { files }).join('\n')).toContain('label_file "./none.labels" not found (looked for /srv/dom0/none.labels)');
  });

  it('the process environment is not used to interpolate label files', () => {
    const s = web('label_file: ./e.labels', { files: { '/srv/dom0/e.labels': 'x=${HOME_X:-none}\n' }, env: { HOME_X: 'set' } });
    expect(s.labels).toEqual({ x: 'none' });
  });

  it('a file content change changes the config hash', () => {
    const a = web('label_file: ./a.labels', { files });
    const b = web('label_file: ./a.labels', { files: { '/srv/dom0/a.labels': 'com_a=2\n' } });
    expect(configHash(a, 'sha256:x')).not.toBe(configHash(b, 'sha256:x'));
  });
});

describe('env_file format: raw', () => {
  it.each<[string, string, Record<string, string>]>([
    ['quotes kept', 'A="quoted"\nB=\'single\'', { A: '"quoted"', B: "'single'" }],
    ['no interpolation or escapes', 'A=${HOME}\\n$x', { A: '${HOME}\\n$x' }],
    ['trailing blanks and # kept in the value', 'A=x #not a comment  ', { A: 'x #not a comment  ' }],
    ['leading blanks and comment lines skipped', '  # c\n\n   A=1\r\n', { A: '1' }],
    ['first = splits', 'A=b=c', { A: 'b=c' }],
    ['a bare KEY comes from the environment', 'FROM_ENV\nMISSING', { FROM_ENV: 'e' }],
    ['empty value', 'A=', { A: '' }],
    ['BOM dropped', '\uFEFFA=1', { A: '1' }],
  ])('%s', (_, text, want) => {
    const r = parseRawEnv(text, (n) => (n === 'FROM_ENV' ? 'e' : undefined));
    expect(r).toEqual({ ok: true, values: want, unset: [] });
  });

  it.each<[string, string, number]>([
    ['no name', 'A=1\n=x', 2],
    ['a blank in the name', 'MY VAR=1', 1],
  ])('error: %s', (_, text, line) => {
    const r = parseRawEnv(text, () => undefined);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.line).toBe(line);
  });

  it('in a manifest: the raw file is literal, the default format is not', () => {
    const files = { '/srv/dom0/a.env': 'A="x y"\nB=${A}\n' };
    expect(web('env_file: [{path: ./a.env, format: raw}]', { files }).environment).toEqual({ A: '"x y"', B: '${A}' });
    expect(web('env_file: [./a.env]', { files }).environment).toEqual({ A: 'x y', B: 'x y' });
  });
});

describe('networks.<key> attachment keys', () => {
  const yaml = (att: string, top = 'networks: {front: {}, back: {}}') => `${top}\nservices:\n  web:\n    image: busybox\n    networks:\n${att.replace(/^/gm, '      ')}\n`;
  const nets = (att: string) => loadOk(yaml(att)).manifest.services[0]!.networks;

  it('each key onto the attachment', () => {
    expect(
      nets(
        'front: {priority: 10, gw_priority: 5, driver_opts: {a: 1}, interface_name: eth5, link_local_ips: [169.254.1.1], mac_address: "02:42:ac:11:00:09"}\nback:',
      ),
    ).toEqual({
      front: {
        aliases: ['web'],
        priority: 10,
        gwPriority: 5,
        driverOpts: { a: '1', 'com.docker.network.endpoint.ifname': 'eth5' },
        linkLocalIps: ['169.254.1.1'],
        macAddress: '02:42:ac:11:00:09',
      },
      back: { aliases: ['web'] },
    });
  });

  it('interface_name overrides a driver_opts ifname, with a warning', () => {
    const r = loadOk(yaml('front: {interface_name: eth5, driver_opts: {com.docker.network.endpoint.ifname: other}}'));
    expect(r.manifest.services[0]!.networks.front!.driverOpts).toEqual({ 'com.docker.network.endpoint.ifname': 'eth5' });
    expect(r.warnings.map((w) => w.message).join('\n')).toContain('interface_name overrides');
  });

  it('a service mac_address different from the primary network one is an error', () => {
    const text = yaml('back: {priority: 1, mac_address: "02:42:ac:11:00:09"}\nfront:').replace('image: busybox', 'image: busybox\n    mac_address: "02:42:ac:11:00:01"');
    expect(loadErrors(text).join('\n')).toContain('same value as the one of network "back"');
  });

  it('the same mac_address on both is accepted', () => {
    const text = yaml('back: {mac_address: "02:42:ac:11:00:09"}').replace('image: busybox', 'image: busybox\n    mac_address: "02:42:ac:11:00:09"');
    expect(loadOk(text).manifest.services[0]!.macAddress).toBe('02:42:ac:11:00:09');
  });

  it.each([['priority: high', 'priority'], ['mac_address: nope', 'invalid mac_address'], ['interface_name: ""', '`networks.front.interface_name` must not be empty']])('error: %s', (att, needle) => {
    expect(loadErrors(yaml(`front: {${att}}`)).join('\n')).toContain(needle);
  });

  it('each key changes the config hash; unused keys add nothing to the spec', () => {
    const base = loadOk(yaml('front:')).manifest.services[0]!;
    expect(Object.keys(base.networks.front!)).toEqual(['aliases']);
    for (const att of ['priority: 1', 'gw_priority: 1', 'driver_opts: {a: b}', 'interface_name: e1', 'link_local_ips: [169.254.1.1]', 'mac_address: "02:42:ac:11:00:09"']) {
      const other = loadOk(yaml(`front: {${att}}`)).manifest.services[0]!;
      expect(configHash(other, 'sha256:x'), att).not.toBe(configHash(base, 'sha256:x'));
    }
  });
});

describe('top-level networks: enable_ipv4, ipam options and aux_addresses', () => {
  it('into the network spec', () => {
    const m = loadOk(`networks:
  n:
    enable_ipv4: false
    enable_ipv6: true
    ipam:
      driver: default
      options: {com.example.opt: "1"}
      config:
        - subnet: 172.28.0.0/16
          aux_addresses: {host1: 172.28.1.5, host0: 172.28.1.6}
services:
  web: {image: busybox, networks: [n]}
`).manifest;
    expect(m.networks.n).toMatchObject<Partial<NetworkSpec>>({
      enableIpv4: false,
      ipam: { driver: 'default', options: { 'com.example.opt': '1' }, config: [{ subnet: '172.28.0.0/16', auxAddresses: { host0: '172.28.1.6', host1: '172.28.1.5' } }] },
    });
  });

  it('unset keys stay unset', () => {
    const m = loadOk('networks: {n: {ipam: {config: [{subnet: 10.9.0.0/24}]}}}\nservices:\n  web: {image: busybox, networks: [n]}\n').manifest;
    expect(m.networks.n).not.toHaveProperty('enableIpv4');
    expect(m.networks.n!.ipam).toEqual({ config: [{ subnet: '10.9.0.0/24' }] });
  });
});

describe('config hash', () => {
  it.each([
    ['volume_driver', 'volume_driver: local'],
    ['isolation', 'isolation: default'],
    ['platform', 'platform: linux/amd64'],
    ['a CDI device', 'devices: ["vendor.com/class=name"]'],
    ['cpu_period as a duration', 'cpu_period: 100ms'],
  ])('%s changes it', (_, body) => {
    expect(configHash(web(body), 'sha256:x')).not.toBe(configHash(web(''), 'sha256:x'));
  });

  it('cpu_period 100ms and 100000 are the same config', () => {
    expect(configHash(web('cpu_period: 100ms'), 'sha256:x')).toBe(configHash(web('cpu_period: 100000'), 'sha256:x'));
  });
});
