// Backing volumes: every path of a service or job that Docker would give an anonymous volume (an
// anonymous `volumes:` entry, or a VOLUME its image declares) is backed by a named volume dom0
// creates and labels instead, `<fleet>_<entry>_<hash>`. An anonymous volume outlives its
// container only as a dangling volume, one `docker volume prune` away from gone, and a new
// container never gets it back; a named one is re-attached by every recreate, by `down` + `apply`
// and after a reboot, and `down` keeps it unless `--volumes`. Pure: plan decides with it.
import { createHash } from 'node:crypto';
import type { ImageInfo, MountInfo, VolumeInfo } from '../engine/engine.js';
import type { ContainerSpec, Manifest } from '../manifest/types.js';
import { LABEL } from './labels.js';

export interface BackingVolume {
  /** The named volume. */
  name: string;
  /** Where it is mounted in the entry's container. */
  path: string;
  readOnly: boolean;
  /** Not on the engine yet: apply creates it (with `labels`) before the container. */
  create: boolean;
  labels: Record<string, string>;
  /** The entry's `volume_driver` (Compose's driver for the volumes the engine makes for it); a volume that exists keeps its own. */
  driver?: string;
  /**
   * A volume of the container being replaced that holds this path's data (an anonymous volume,
   * or the backing volume of an entry whose key changed): apply copies it into `name` after the
   * old container stopped and before it is removed. The old volume itself is left as it is.
   */
  carryFrom?: string;
}

/** `<fleet>_<entry>_<12 hex>`; the hash covers all three parts, so no two fleets' names can meet. */
export function backingVolumeName(fleet: string, entry: string, path: string): string {
  const h = createHash('sha256').update(`${fleet}\0${entry}\0${path}`).digest('hex').slice(0, 12);
  return `${fleet}_${entry}_${h}`;
}

/** Paths of the entry that would get an anonymous volume, with their read-only flag. */
export function anonymousPaths(
  manifest: Manifest,
  spec: ContainerSpec,
  images: Record<string, ImageInfo | undefined>,
): Array<{ path: string; readOnly: boolean }> {
  const out = new Map<string, boolean>();
  for (const m of spec.volumes) if (m.type === 'anonymous') out.set(m.target, m.readOnly);
  const covered = new Set<string>([...spec.volumes.map((m) => m.target), ...spec.tmpfs.map((t) => t.split(':')[0]!)]);
  // volumes_from brings its source's paths: those win over the image's VOLUMEs.
  for (const f of spec.volumesFrom) for (const p of providedPaths(manifest, f.name, images, new Set())) covered.add(p);
  for (const p of images[spec.image]?.volumes ?? []) {
    const path = p.replace(/\/+$/, '') || '/';
    if (!covered.has(path) && !out.has(path)) out.set(path, false);
  }
  return [...out].map(([path, readOnly]) => ({ path, readOnly })).sort((a, b) => a.path.localeCompare(b.path));
}

/** Paths an entry lends through volumes_from. */
function providedPaths(manifest: Manifest, key: string, images: Record<string, ImageInfo | undefined>, seen: Set<string>): string[] {
  if (seen.has(key)) return [];
  seen.add(key);
  const vc = manifest.volumeContainers.find((v) => v.name === key);
  if (vc) return [...vc.paths, ...(images[vc.image]?.volumes ?? [])];
  const c = [...manifest.services, ...manifest.jobs].find((s) => s.name === key);
  if (!c) return [];
  return [
    ...c.volumes.filter((m) => m.type !== 'tmpfs').map((m) => m.target),
    ...(images[c.image]?.volumes ?? []),
    ...c.volumesFrom.flatMap((f) => providedPaths(manifest, f.name, images, seen)),
  ];
}

export function backingLabels(manifest: Manifest, entry: string, path: string): Record<string, string> {
  return { [LABEL.fleet]: manifest.name, [LABEL.origin]: manifest.origin, [LABEL.entry]: entry, [LABEL.path]: path };
}

/** A backing volume dom0 made for an entry this manifest declares (what `down --volumes` may remove). */
export function backingVolumeOwned(v: VolumeInfo, manifest: Manifest): boolean {
  const l = v.labels;
  if (l[LABEL.fleet] !== manifest.name || l[LABEL.origin] !== manifest.origin || !l[LABEL.entry] || !l[LABEL.path]) return false;
  const entry = [...manifest.services, ...manifest.jobs].find((s) => s.name === l[LABEL.entry]);
  return !!entry && v.name === backingVolumeName(manifest.name, entry.name, l[LABEL.path]!);
}

/**
 * The backing volumes of one entry. `old`: the mounts of the container being replaced (or
 * taken over), whose own volumes at these paths are carried into the backing volumes.
 * `shared`: volume names that are not the old container's own (named volumes, volumes_from).
 */
export function backingFor(
  manifest: Manifest,
  spec: ContainerSpec,
  images: Record<string, ImageInfo | undefined>,
  existing: ReadonlySet<string>,
  old: { mounts: MountInfo[]; shared: ReadonlySet<string> } | undefined,
): BackingVolume[] {
  return anonymousPaths(manifest, spec, images).map(({ path, readOnly }) => {
    const name = backingVolumeName(manifest.name, spec.name, path);
    const b: BackingVolume = { name, path, readOnly, create: !existing.has(name), labels: backingLabels(manifest, spec.name, path) };
    if (spec.volumeDriver !== undefined) b.driver = spec.volumeDriver;
    const prev = old?.mounts.find((m) => m.type === 'volume' && m.destination === path && m.name);
    if (prev && prev.name !== name && !old!.shared.has(prev.name!)) b.carryFrom = prev.name;
    return b;
  });
}

/**
 * Paths whose data lives in the old container's own volume (anonymous, or backing) but that the
 * new spec maps to a bind, a named volume or a tmpfs: the new container would not see that data.
 */
export function pathsChangingKind(oldMounts: MountInfo[], spec: ContainerSpec, shared: ReadonlySet<string>): Array<{ path: string; volume: string; now: string }> {
  const out: Array<{ path: string; volume: string; now: string }> = [];
  for (const m of oldMounts) {
    if (m.type !== 'volume' || !m.name || shared.has(m.name)) continue;
    const now = spec.volumes.find((v) => v.target === m.destination);
    const tmpfs = spec.tmpfs.some((t) => t.split(':')[0] === m.destination);
    if (now && now.type !== 'anonymous') out.push({ path: m.destination, volume: m.name, now: now.type === 'volume' ? `named volume ${now.source}` : now.type });
    else if (tmpfs) out.push({ path: m.destination, volume: m.name, now: 'tmpfs' });
  }
  return out;
}
