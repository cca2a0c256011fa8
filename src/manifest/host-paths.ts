// Paths as the host sees them when dom0 runs in a container. A path inside dom0's container that
// falls under one of its mounts (bind, or volume: the volume's directory under the engine's data
// root) maps to the host path behind it; the longest mount destination wins. Pure: the mounts come
// from inspecting dom0's own container (src/up/host-view.ts).

import { posix } from 'node:path';

export interface HostMount {
  source: string; // host path
  destination: string; // path inside dom0's container
}

export type HostPath = (containerPath: string) => string | undefined;

function clean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** The translation for these mounts: the host path behind a container path, or undefined when no mount covers it. */
export function hostPathTranslator(mounts: readonly HostMount[]): HostPath {
  const byLongest = mounts
    .filter((m) => m.source.startsWith('/') && m.destination.startsWith('/'))
    .map((m) => ({ source: clean(m.source), destination: clean(m.destination) }))
    .sort((a, b) => b.destination.length - a.destination.length);
  return (containerPath) => {
    const p = clean(containerPath);
    if (!p.startsWith('/')) return undefined;
    for (const m of byLongest) {
      if (p === m.destination) return m.source;
      const prefix = m.destination === '/' ? '/' : `${m.destination}/`;
      if (p.startsWith(prefix)) return posix.join(m.source, p.slice(prefix.length));
    }
    return undefined;
  };
}

/** How the loader turns a relative bind source (resolved inside dom0's container) into the host path. */
export type BindSourceHook = (written: string, resolved: string) => { ok: true; source: string } | { ok: false; error: string };

/** A BindSourceHook over a translation; `note` hears each translated bind once per written source. */
export function bindSourceHook(toHost: HostPath, note: (text: string) => void): BindSourceHook {
  const seen = new Set<string>();
  return (written, resolved) => {
    const host = toHost(resolved);
    if (host === undefined) {
      return {
        ok: false,
        error:
          `bind source ${written} resolves to ${resolved} inside dom0's container, which is not mounted from the host: ` +
          `mount the directory holding it into dom0's container (docker run -v HOST_DIR:${posix.dirname(resolved)}) or write the bind's host path`,
      };
    }
    const text = `bind ${written} → ${host} (dom0 runs in a container; host path)`;
    if (!seen.has(text)) {
      seen.add(text);
      note(text);
    }
    return { ok: true, source: host };
  };
}
