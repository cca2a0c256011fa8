// Ownership: the one rule for which containers dom0 may touch. Plan, down, status and the `up`
// supervisor all ask here.
//
// A container is dom0's only when its labels were written by dom0 for that very container:
//   - the labels are complete and consistent (the hash matches the recorded spec);
//   - they are not a copy of its image's labels (`docker commit` copies a container's labels
//     into the image, and every container run from that image would carry them);
//   - its name is the one dom0 gave it (recorded in a label), or that name's temporary
//     replacement name.
// Which fleet, and which manifest: the fleet name alone is not proof (two manifests may share
// it), so every container also records the manifest's origin. Only containers of this fleet
// applied from this origin are "this manifest's": the only ones plan removes as orphans and
// `down` removes without being declared.
import type { EntryKind } from '../manifest/types.js';
import { type Canonical, hashCanonical } from './hash.js';
import { LABEL, replacementName } from './labels.js';

export interface Ownership {
  fleet: string;
  kind: EntryKind;
  name: string;
  hash: string;
  spec: { [k: string]: Canonical };
  /** The manifest the container was applied from; undefined on containers made before dom0 recorded it. */
  origin?: string;
  /** The name dom0 gave the container; undefined on containers made before dom0 recorded it. */
  containerName?: string;
}

export interface FleetIdentity {
  name: string;
  origin: string;
}

const KINDS: readonly string[] = ['service', 'job', 'volume'];

/** dom0's labels, when complete and consistent; says nothing yet about who wrote them. */
export function labelOwnership(labels: Record<string, string>): Ownership | undefined {
  const fleet = labels[LABEL.fleet];
  const kind = labels[LABEL.kind];
  const name = labels[LABEL.name];
  const hash = labels[LABEL.hash];
  const specText = labels[LABEL.spec];
  if (!fleet || !kind || !KINDS.includes(kind) || !name || !hash || !specText) return undefined;
  let spec: { [k: string]: Canonical };
  try {
    spec = JSON.parse(specText);
  } catch {
    return undefined;
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return undefined;
  if (hashCanonical(spec) !== hash) return undefined;
  const origin = labels[LABEL.origin] || undefined;
  const containerName = labels[LABEL.containerName] || undefined;
  return { fleet, kind: kind as EntryKind, name, hash, spec, origin, containerName };
}

/** Labels the image carries that say the same as the container's: inherited, not written by dom0. */
export function inheritedFromImage(labels: Record<string, string>, imageLabels: Record<string, string> | undefined): boolean {
  const h = labels[LABEL.hash];
  return h !== undefined && imageLabels !== undefined && imageLabels[LABEL.hash] === h;
}

/**
 * The container's ownership, when dom0 wrote its labels for it. `imageLabels`: its image's labels,
 * when known (undefined when the image is gone: a dangling image cannot be run again).
 */
export function ownershipOf(
  c: { name: string; labels: Record<string, string> },
  imageLabels: Record<string, string> | undefined,
): Ownership | undefined {
  const o = labelOwnership(c.labels);
  if (!o || inheritedFromImage(c.labels, imageLabels)) return undefined;
  return o;
}

/** Its name is the one dom0 gave it (or, for containers made before that was recorded, unknown). */
export function nameIsRecorded(c: { name: string }, o: Ownership): boolean {
  return o.containerName === undefined || c.name === o.containerName || c.name === replacementName(o.containerName);
}

/** Applied for this fleet from this manifest, under the name dom0 gave it: removable as an orphan. */
export function isThisManifests(c: { name: string; owner?: Ownership }, fleet: FleetIdentity): boolean {
  const o = c.owner;
  return !!o && o.fleet === fleet.name && o.origin === fleet.origin && o.containerName !== undefined && nameIsRecorded(c, o);
}

/**
 * A named volume or network dom0 made for this fleet from this manifest (one made before origins
 * were recorded counts as this manifest's: volumes and networks carry no entry to claim them by).
 */
export function resourceOfThisManifest(labels: Record<string, string>, fleet: FleetIdentity): boolean {
  return labels[LABEL.fleet] === fleet.name && (labels[LABEL.origin] ?? fleet.origin) === fleet.origin;
}

export type EntryClaim =
  /** dom0's container for this entry, applied from this manifest. */
  | 'ours'
  /** dom0's container for this entry made before origins were recorded: used, never removed as an orphan. */
  | 'legacy'
  /** This fleet's name and entry, but applied from another manifest: blocked unless --adopt. */
  | 'other-manifest';

/**
 * How a container found at (or moved from) an entry's place relates to that entry, or undefined
 * when it is not this fleet's container for it.
 */
export function claimFor(
  c: { name: string; owner?: Ownership },
  e: { kind: EntryKind; name: string; containerName: string },
  fleet: FleetIdentity,
): EntryClaim | undefined {
  const o = c.owner;
  if (!o || o.fleet !== fleet.name || o.kind !== e.kind || o.name !== e.name) return undefined;
  // A volume container renamed by hand to the entry's container_name (as plan advises) is still it.
  if (!nameIsRecorded(c, o) && c.name !== e.containerName && c.name !== replacementName(e.containerName)) return undefined;
  if (o.origin === undefined) return c.name === e.containerName || c.name === replacementName(e.containerName) ? 'legacy' : undefined;
  return o.origin === fleet.origin ? 'ours' : 'other-manifest';
}

/** The claim of the entry the container's labels name, in this manifest (what the `up` supervisor follows). */
export function claimInManifest(
  c: { name: string; owner?: Ownership },
  manifest: { name: string; origin: string; volumeContainers: EntryRef[]; jobs: EntryRef[]; services: EntryRef[] },
): EntryClaim | undefined {
  const o = c.owner;
  if (!o) return undefined;
  const e = [...manifest.volumeContainers, ...manifest.jobs, ...manifest.services].find((x) => x.kind === o.kind && x.name === o.name);
  return e ? claimFor(c, e, manifest) : undefined;
}

type EntryRef = { kind: EntryKind; name: string; containerName: string };
