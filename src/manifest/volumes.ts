// Compose service `volumes`: short syntax "[SOURCE:]TARGET[:MODE]" and long syntax.
// Bind sources stay as written here; normalize resolves them against the manifest's directory.

import type { ParseResult } from './durations.js';
import { parseBytes } from './durations.js';
import type { Mount } from './types.js';

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const CONSISTENCY = ['consistent', 'cached', 'delegated']; // macOS-only hints, accepted and ignored

export function isPathSource(s: string): boolean {
  return s.startsWith('/') || s.startsWith('.') || s.startsWith('~');
}

function checkTarget(t: string): string | undefined {
  if (!t.startsWith('/')) return `target ${JSON.stringify(t)} must be an absolute path`;
  return undefined;
}

/** "/data", "db:/var/lib/db", "./site:/www:ro", "~/cfg:/etc/cfg:ro,rshared". */
export function parseVolumeShort(input: string): ParseResult<Mount> {
  const spec = input.trim();
  const fail = (why: string): ParseResult<Mount> => ({ ok: false, error: `invalid volume ${JSON.stringify(spec)}: ${why}` });
  const parts = spec.split(':');
  if (parts.length > 3) return fail('expected [SOURCE:]TARGET[:MODE]');
  if (parts.length === 1) {
    const bad = checkTarget(spec);
    return bad ? fail(bad) : { ok: true, value: { type: 'anonymous', target: spec, readOnly: false } };
  }
  const [source = '', target = '', modeStr] = parts;
  if (source === '') return fail('empty source');
  const badTarget = checkTarget(target);
  if (badTarget) return fail(badTarget);
  const bind = isPathSource(source);
  if (!bind && !VOLUME_NAME.test(source)) {
    return fail(`${JSON.stringify(source)} is neither a path (/, ./, ~/) nor a volume name`);
  }
  let readOnly = false;
  let propagation: string | undefined;
  let noCopy = false;
  let selinux: 'z' | 'Z' | undefined;
  for (const mode of modeStr === undefined ? [] : modeStr.split(',')) {
    if (mode === 'ro' || mode === 'rw') readOnly = mode === 'ro';
    else if (mode === 'nocopy' && !bind) noCopy = true;
    else if (PROPAGATION.includes(mode) && bind) propagation = mode;
    else if (CONSISTENCY.includes(mode)) continue;
    else if ((mode === 'z' || mode === 'Z') && bind) selinux = mode;
    else if (mode === 'z' || mode === 'Z') return fail(`SELinux relabeling (":${mode}") applies to bind mounts; a named volume is labelled by its driver`);
    else return fail(`unknown mode ${JSON.stringify(mode)}`);
  }
  if (bind) {
    const m: Mount = { type: 'bind', source, target, readOnly };
    if (propagation) m.bindPropagation = propagation;
    if (selinux) m.selinux = selinux;
    return { ok: true, value: m };
  }
  const m: Mount = { type: 'volume', source, target, readOnly };
  if (noCopy) m.noCopy = true;
  return { ok: true, value: m };
}

export interface LongVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: string };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: string | number; mode?: string | number };
}

/** tmpfs `mode` is octal as Compose documents it: 1777, "1777" and "0o1777" all mean 0o1777. */
export function parseOctalMode(v: string | number): ParseResult<number> {
  const s = String(v).replace(/^0o/i, '');
  if (!/^[0-7]{1,4}$/.test(s)) return { ok: false, error: `invalid mode ${JSON.stringify(v)}: expected octal permission bits like 1777` };
  return { ok: true, value: parseInt(s, 8) };
}

export function parseVolumeLong(v: LongVolume): ParseResult<Mount> {
  const fail = (why: string): ParseResult<Mount> => ({ ok: false, error: `invalid volume: ${why}` });
  const badTarget = checkTarget(v.target);
  if (badTarget) return fail(badTarget);
  const readOnly = v.read_only ?? false;
  if (v.bind && v.type !== 'bind') return fail('`bind` options need `type: bind`');
  if (v.volume && v.type !== 'volume') return fail('`volume` options need `type: volume`');
  if (v.tmpfs && v.type !== 'tmpfs') return fail('`tmpfs` options need `type: tmpfs`');
  switch (v.type) {
    case 'bind': {
      if (!v.source) return fail('a bind mount needs a `source`');
      const m: Mount = { type: 'bind', source: v.source, target: v.target, readOnly };
      if (v.bind?.propagation !== undefined) {
        if (!PROPAGATION.includes(v.bind.propagation)) return fail(`unknown propagation ${JSON.stringify(v.bind.propagation)}`);
        m.bindPropagation = v.bind.propagation;
      }
      if (v.bind?.selinux !== undefined) {
        if (v.bind.selinux !== 'z' && v.bind.selinux !== 'Z') return fail(`bind.selinux is z (shared) or Z (private), not ${JSON.stringify(v.bind.selinux)}`);
        m.selinux = v.bind.selinux;
      }
      return { ok: true, value: m };
    }
    case 'volume': {
      if (v.source === undefined || v.source === '') return { ok: true, value: { type: 'anonymous', target: v.target, readOnly } };
      if (!VOLUME_NAME.test(v.source)) return fail(`invalid volume name ${JSON.stringify(v.source)}`);
      const m: Mount = { type: 'volume', source: v.source, target: v.target, readOnly };
      if (v.volume?.nocopy) m.noCopy = true;
      return { ok: true, value: m };
    }
    case 'tmpfs': {
      if (v.source !== undefined) return fail('a tmpfs mount has no `source`');
      const m: Mount = { type: 'tmpfs', target: v.target };
      if (v.tmpfs?.size !== undefined) {
        const size = parseBytes(v.tmpfs.size);
        if (!size.ok) return fail(size.error);
        m.sizeBytes = size.value;
      }
      if (v.tmpfs?.mode !== undefined) {
        const mode = parseOctalMode(v.tmpfs.mode);
        if (!mode.ok) return fail(mode.error);
        m.mode = mode.value;
      }
      return { ok: true, value: m };
    }
    case 'npipe':
    case 'cluster':
    case 'image':
      return fail(`\`type: ${v.type}\` is not supported by dom0 (bind, volume or tmpfs)`);
    default:
      return fail(`unknown type ${JSON.stringify(v.type)} (bind, volume or tmpfs)`);
  }
}

/** volumes_from: "name", "name:ro", "service:name:rw", "container:name". */
export function parseVolumesFrom(input: string): ParseResult<{ name: string; readOnly: boolean; container: boolean }> {
  const parts = input.trim().split(':');
  let container = false;
  if (parts[0] === 'service' || parts[0] === 'container') {
    container = parts[0] === 'container';
    parts.shift();
  }
  const [name = '', mode, extra] = parts;
  if (name === '' || extra !== undefined || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    return { ok: false, error: `invalid volumes_from ${JSON.stringify(input)}: expected NAME[:ro|:rw]` };
  }
  return { ok: true, value: { name, readOnly: mode === 'ro', container } };
}
