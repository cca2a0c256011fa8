// Placement: which of the manifest's entries run on this host (deploy.placement.constraints),
// decided before planning. Pure: the host's facts are an input (host-facts.ts fetches them).
// An entry not placed here is left out of the manifest the plan sees, so a container it had here
// is an orphan, removed with the reason given here; volume containers are always placed (data is
// never moved by a label), and named volumes are never removed.
import type { PlacementConstraint } from '../manifest/placement.js';
import { globMatch, SWARM_ONLY_SUBJECTS } from '../manifest/placement.js';
import type { ContainerSpec, Manifest } from '../manifest/types.js';

/** What constraints are matched against. */
export interface HostFacts {
  /** node.hostname: $DOM0_HOSTNAME, else the engine's Name (docker info). */
  hostname: string;
  /** engine.labels.*: the engine's own labels (dockerd --label, daemon.json "labels"). */
  engineLabels: Readonly<Record<string, string>>;
  /** node.labels.*: the engine's labels with the host labels file over them. */
  nodeLabels: Readonly<Record<string, string>>;
  /** node.platform.os / node.platform.arch, as docker info says them ("linux", "x86_64"). */
  os: string;
  arch: string;
}

export interface NotPlaced {
  entry: string;
  kind: 'service' | 'job';
  /** "not placed on this host: node.hostname == web-* (host value \"db-1\")". */
  reason: string;
}

/** What placement decided, carried in the plan (`dom0 plan` shows it). */
export interface HostPlacement {
  host: HostFacts;
  notPlaced: NotPlaced[];
  /** Decisions a user should know (a depends_on on an entry placed elsewhere, treated as met). */
  notes: string[];
}

export interface Placed {
  /** The manifest without the entries not placed here. */
  manifest: Manifest;
  placement: HostPlacement;
}

export function hasPlacement(m: Manifest): boolean {
  return [...m.services, ...m.jobs].some((e) => e.placement?.length);
}

/** Undefined when the constraint holds on this host, else why not. */
export function unmet(c: PlacementConstraint, host: HostFacts): string | undefined {
  if (SWARM_ONLY_SUBJECTS.has(c.subject)) return undefined;
  const value = hostValue(c, host);
  const matches = value !== undefined && (c.subject === 'arch' ? archNames(value).some((v) => globMatch(c.value, v)) : globMatch(c.value, value));
  if ((c.op === '==') === matches) return undefined;
  const has = value === undefined ? `host has no ${c.subject === 'engine-label' ? 'engine' : 'node'} label "${c.key}"` : `host value ${JSON.stringify(value)}`;
  return `${c.text} (${has})`;
}

function hostValue(c: PlacementConstraint, host: HostFacts): string | undefined {
  switch (c.subject) {
    case 'hostname':
      return host.hostname;
    case 'os':
      return host.os;
    case 'arch':
      return host.arch;
    case 'engine-label':
      return label(host.engineLabels, c.key!);
    case 'node-label':
      return label(host.nodeLabels, c.key!);
    default:
      return undefined;
  }
}

/** Label keys match ignoring case, as Swarm's do; an exact key wins. */
function label(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  if (Object.hasOwn(labels, key)) return labels[key];
  const k = Object.keys(labels).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : labels[k];
}

// docker info says x86_64 / aarch64; image platforms say amd64 / arm64: either name matches.
const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', amd64: 'x86_64', aarch64: 'arm64', arm64: 'aarch64' };
const archNames = (a: string) => [a, ...(ARCH_ALIASES[a.toLowerCase()] ? [ARCH_ALIASES[a.toLowerCase()]!] : [])];

/**
 * The entries this host runs. An entry that shares a container with one placed elsewhere
 * (volumes_from, network_mode/pid/ipc service:, links) cannot run here either and follows it; a
 * depends_on on one placed elsewhere is treated as met (it will never start here), with a note.
 */
export function placeOnHost(manifest: Manifest, host: HostFacts): Placed {
  const notPlaced = new Map<string, NotPlaced>();
  const containers = [...manifest.jobs, ...manifest.services];
  for (const e of containers) {
    const why = (e.placement ?? []).map((c) => unmet(c, host)).filter((x): x is string => x !== undefined);
    if (why.length) notPlaced.set(e.name, { entry: e.name, kind: e.kind, reason: `not placed on this host: ${why.join('; ')}` });
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of containers) {
      if (notPlaced.has(e.name)) continue;
      const d = e.dependsOn.find((x) => x.implicit && notPlaced.has(x.name));
      if (!d) continue;
      notPlaced.set(e.name, { entry: e.name, kind: e.kind, reason: `not placed on this host: it needs ${d.name} (${d.implicit}), which is not placed here` });
      changed = true;
    }
  }
  const notes: string[] = [];
  const keep = (e: ContainerSpec): ContainerSpec => {
    const gone = e.dependsOn.filter((d) => notPlaced.has(d.name));
    if (!gone.length) return e;
    for (const d of gone) notes.push(`${e.name}: depends_on ${d.name}, which is not placed on this host: treated as met`);
    return { ...e, dependsOn: e.dependsOn.filter((d) => !notPlaced.has(d.name)) };
  };
  const placed = (list: ContainerSpec[]) => list.filter((e) => !notPlaced.has(e.name)).map(keep);
  return {
    manifest: { ...manifest, jobs: placed(manifest.jobs), services: placed(manifest.services) },
    placement: { host, notPlaced: [...notPlaced.values()].sort((a, b) => a.entry.localeCompare(b.entry)), notes },
  };
}
