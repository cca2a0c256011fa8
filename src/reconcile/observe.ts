// Observe: what the engine holds, in one list call, sorted into what dom0 owns and what it doesn't.
import type { ContainerSummary, Engine } from '../engine/engine.js';
import type { EntryKind, Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { type Canonical, hashCanonical } from './hash.js';
import { LABEL, isReplacementName } from './labels.js';

export interface Ownership {
  fleet: string;
  kind: EntryKind;
  name: string;
  hash: string;
  spec: { [k: string]: Canonical };
}

export interface ObservedContainer extends ContainerSummary {
  /** Set only when dom0's labels are complete and consistent (the hash matches the spec label). */
  owner?: Ownership;
  replacement: boolean;
}

export interface Observed {
  containers: ObservedContainer[];
  /** Local image ID per image reference; undefined when the image is not present. */
  imageIds: Record<string, string | undefined>;
}

const KINDS: readonly string[] = ['service', 'job', 'volume'];

/** Reads dom0's labels; a container that merely copies them (wrong hash, bad spec) is not owned. */
export function ownershipOf(labels: Record<string, string>): Ownership | undefined {
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
  return { fleet, kind: kind as EntryKind, name, hash, spec };
}

export function toObserved(c: ContainerSummary): ObservedContainer {
  return { ...c, owner: ownershipOf(c.labels), replacement: isReplacementName(c.name) };
}

/** `knownImageIds`: IDs the pulls just resolved, so those images are not inspected again. */
export async function observe(engine: Engine, manifest: Manifest, knownImageIds: ReadonlyMap<string, string> = new Map()): Promise<Observed> {
  const refs = [...new Set(entries(manifest).map((e) => e.image))];
  const [containers, ids] = await Promise.all([
    engine.listContainers(),
    Promise.all(refs.map(async (r) => [r, knownImageIds.get(r) ?? (await engine.inspectImage(r))?.id] as const)),
  ]);
  return { containers: containers.map(toObserved), imageIds: Object.fromEntries(ids) };
}
