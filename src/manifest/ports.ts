// Compose `ports` and `expose`: short syntax ("[IP:][HOST:]CONTAINER[/PROTO]", ranges, "[::1]")
// and long syntax. Parsing keeps ranges; expansion into one binding per port happens later,
// under a global budget, so "1-65535" repeated cannot exhaust memory.

import { isIP } from 'node:net';
import type { ParseResult } from './durations.js';
import type { PortBinding } from './types.js';

export type Protocol = PortBinding['protocol'];

export interface PortRange {
  hostIp?: string;
  host?: { start: number; end: number };
  container: { start: number; end: number };
  protocol: Protocol;
  /** Long syntax `mode:` as written (a Swarm's publish mode; one host accepts only `host`). Not part of PortBinding. */
  mode?: PublishMode;
}

export type PublishMode = 'host' | 'ingress';

export const MAX_PORTS_PER_SPEC = 1024;
const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];

function range(s: string, what: string): ParseResult<{ start: number; end: number }> {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return { ok: false, error: `${what} ${JSON.stringify(s)} is not a port or a range like 8000-8010` };
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 1 || end > 65535) return { ok: false, error: `${what} ${s} is out of range 1-65535` };
  if (end < start) return { ok: false, error: `${what} range ${s} ends before it starts` };
  if (end - start + 1 > MAX_PORTS_PER_SPEC) {
    return { ok: false, error: `${what} range ${s} has more than ${MAX_PORTS_PER_SPEC} ports` };
  }
  return { ok: true, value: { start, end } };
}

function protocol(p: string | undefined): ParseResult<Protocol> {
  const v = (p ?? 'tcp').toLowerCase();
  return PROTOCOLS.includes(v) ? { ok: true, value: v as Protocol } : { ok: false, error: `unknown protocol ${JSON.stringify(p)} (tcp, udp or sctp)` };
}

function hostIp(ip: string): ParseResult<string> {
  return isIP(ip) ? { ok: true, value: ip } : { ok: false, error: `invalid host IP ${JSON.stringify(ip)}` };
}

function combine(
  ip: string | undefined,
  host: string | undefined,
  container: string,
  proto: string | undefined,
): ParseResult<PortRange> {
  const p = protocol(proto);
  if (!p.ok) return p;
  const c = range(container, 'container port');
  if (!c.ok) return c;
  const out: PortRange = { container: c.value, protocol: p.value };
  if (ip !== undefined && ip !== '') {
    const i = hostIp(ip);
    if (!i.ok) return i;
    out.hostIp = i.value;
  }
  if (host !== undefined && host !== '') {
    const h = range(host, 'host port');
    if (!h.ok) return h;
    const hn = h.value.end - h.value.start;
    const cn = c.value.end - c.value.start;
    // Docker allows a host range for a single container port (it picks one free port).
    if (hn !== cn && cn !== 0) {
      return { ok: false, error: `host range ${host} and container range ${container} have different lengths` };
    }
    out.host = h.value;
  }
  return { ok: true, value: out };
}

/** Short syntax: "80", "8080:80", "127.0.0.1:8080:80", "[::1]:8080:80", "8000-8010:80-90/udp". */
export function parsePortShort(input: string | number): ParseResult<PortRange> {
  const spec = String(input).trim();
  const fail = (why: string): ParseResult<PortRange> => ({ ok: false, error: `invalid port ${JSON.stringify(spec)}: ${why}` });
  let rest = spec;
  let proto: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let ip: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') return fail('expected [IPv6]:HOST:CONTAINER');
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) return fail('expected [IPv6]:HOST:CONTAINER');
    const r = combine(ip, parts[0], parts[1]!, proto);
    return r.ok ? r : fail(r.error);
  }
  const parts = rest.split(':');
  let r: ParseResult<PortRange>;
  if (parts.length === 1) r = combine(undefined, undefined, parts[0]!, proto);
  else if (parts.length === 2) r = combine(undefined, parts[0], parts[1]!, proto);
  else if (parts.length === 3) r = combine(parts[0], parts[1], parts[2]!, proto);
  else return fail('an IPv6 host address must be in brackets, e.g. "[::1]:8080:80"');
  return r.ok ? r : fail(r.error);
}

export interface LongPort {
  target: number;
  published?: string | number;
  host_ip?: string;
  protocol?: string;
  mode?: string;
}

export function parsePortLong(p: LongPort): ParseResult<PortRange> {
  const published = p.published === undefined ? undefined : String(p.published);
  const r = combine(p.host_ip, published, String(p.target), p.protocol);
  if (!r.ok) return { ok: false, error: `invalid port: ${r.error}` };
  if (p.mode === 'host' || p.mode === 'ingress') r.value.mode = p.mode;
  return r;
}

export function portCount(r: PortRange): number {
  return r.container.end - r.container.start + 1;
}

/** One binding per container port; a host range paired with one container port stays a range string. */
export function expandPorts(r: PortRange): PortBinding[] {
  const out: PortBinding[] = [];
  const single = r.container.start === r.container.end;
  for (let c = r.container.start; c <= r.container.end; c++) {
    const b: PortBinding = { containerPort: c, protocol: r.protocol };
    if (r.hostIp !== undefined) b.hostIp = r.hostIp;
    if (r.host) {
      b.hostPort =
        single && r.host.start !== r.host.end
          ? `${r.host.start}-${r.host.end}`
          : String(r.host.start + (c - r.container.start));
    }
    out.push(b);
  }
  return out;
}

/** `expose`: "80", "80/udp", "3000-3005", 8080. */
export function parseExpose(input: string | number): ParseResult<PortRange> {
  const spec = String(input).trim();
  const [ports = '', proto, extra] = spec.split('/');
  const p = protocol(proto);
  const c = range(ports, 'port');
  if (extra !== undefined || !p.ok || !c.ok) {
    const why = extra !== undefined ? 'expected PORT[/PROTOCOL]' : !p.ok ? p.error : !c.ok ? c.error : '';
    return { ok: false, error: `invalid expose ${JSON.stringify(spec)}: ${why}` };
  }
  return { ok: true, value: { container: c.value, protocol: p.value } };
}

export function expandExpose(r: PortRange): string[] {
  const out: string[] = [];
  for (let c = r.container.start; c <= r.container.end; c++) out.push(`${c}/${r.protocol}`);
  return out;
}
