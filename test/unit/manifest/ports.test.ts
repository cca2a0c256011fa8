import { describe, expect, it } from 'vitest';
import { expandExpose, expandPorts, parseExpose, parsePortLong, parsePortShort, type PortRange } from '../../../src/manifest/ports.js';
import type { PortBinding } from '../../../src/manifest/types.js';

const expand = (r: { ok: boolean; value?: PortRange }): PortBinding[] => (r.ok ? expandPorts(r.value!) : []);

describe('ports short syntax', () => {
  it.each<[string | number, PortBinding[]]>([
    ['80', [{ containerPort: 80, protocol: 'tcp' }]],
    [80, [{ containerPort: 80, protocol: 'tcp' }]],
    ['8080:80', [{ hostPort: '8080', containerPort: 80, protocol: 'tcp' }]],
    ['53:53/udp', [{ hostPort: '53', containerPort: 53, protocol: 'udp' }]],
    ['5000:5000/sctp', [{ hostPort: '5000', containerPort: 5000, protocol: 'sctp' }]],
    ['127.0.0.1:8080:80', [{ hostIp: '127.0.0.1', hostPort: '8080', containerPort: 80, protocol: 'tcp' }]],
    ['127.0.0.1::80', [{ hostIp: '127.0.0.1', containerPort: 80, protocol: 'tcp' }]],
    ['[::1]:6001:6001', [{ hostIp: '::1', hostPort: '6001', containerPort: 6001, protocol: 'tcp' }]],
    ['[::1]:6001:6001/udp', [{ hostIp: '::1', hostPort: '6001', containerPort: 6001, protocol: 'udp' }]],
    [
      '3000-3002',
      [
        { containerPort: 3000, protocol: 'tcp' },
        { containerPort: 3001, protocol: 'tcp' },
        { containerPort: 3002, protocol: 'tcp' },
      ],
    ],
    [
      '8000-8002:80-82',
      [
        { hostPort: '8000', containerPort: 80, protocol: 'tcp' },
        { hostPort: '8001', containerPort: 81, protocol: 'tcp' },
        { hostPort: '8002', containerPort: 82, protocol: 'tcp' },
      ],
    ],
    ['9090-9091:8080', [{ hostPort: '9090-9091', containerPort: 8080, protocol: 'tcp' }]],
  ])('%j', (spec, bindings) => {
    expect(expand(parsePortShort(spec))).toEqual(bindings);
  });

  it('expands "8000-8010:80-90" into 11 bindings', () => {
    const b = expand(parsePortShort('8000-8010:80-90'));
    expect(b).toHaveLength(11);
    expect(b[10]).toEqual({ hostPort: '8010', containerPort: 90, protocol: 'tcp' });
  });

  it.each([
    ['80:http', 'not a port'],
    ['70000:80', 'out of range'],
    ['0:80', 'out of range'],
    ['8000-8010:80-85', 'different lengths'],
    ['8000:80-85', 'different lengths'],
    ['90-80', 'ends before it starts'],
    ['::1:80:80', 'must be in brackets'],
    ['[::1:80:80', 'expected [IPv6]'],
    ['999.1.1.1:80:80', 'invalid host IP'],
    ['80/icmp', 'unknown protocol'],
    ['1-5000', 'more than 1024 ports'],
    ['', 'not a port'],
  ])('rejects %j (%s)', (spec, why) => {
    const r = parsePortShort(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });
});

describe('ports long syntax', () => {
  it('maps target/published/host_ip/protocol', () => {
    expect(expand(parsePortLong({ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp' }))).toEqual([
      { hostIp: '127.0.0.1', hostPort: '8080', containerPort: 80, protocol: 'udp' },
    ]);
    expect(expand(parsePortLong({ target: 80 }))).toEqual([{ containerPort: 80, protocol: 'tcp' }]);
    expect(expand(parsePortLong({ target: 80, published: '8000-8001' }))).toEqual([{ hostPort: '8000-8001', containerPort: 80, protocol: 'tcp' }]);
  });

  it('rejects a bad published port', () => {
    expect(parsePortLong({ target: 80, published: 'x' }).ok).toBe(false);
  });
});

describe('expose', () => {
  it.each<[string | number, string[]]>([
    [80, ['80/tcp']],
    ['80', ['80/tcp']],
    ['53/udp', ['53/udp']],
    ['3000-3002', ['3000/tcp', '3001/tcp', '3002/tcp']],
  ])('%j', (spec, out) => {
    const r = parseExpose(spec);
    expect(r.ok && expandExpose(r.value)).toEqual(out);
  });

  it.each([['http'], ['80/tcp/udp'], ['80:80']])('rejects %j', (spec) => {
    expect(parseExpose(spec).ok).toBe(false);
  });
});
