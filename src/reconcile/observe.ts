// Observe: what the engine holds, in one list call, sorted into what dom0 owns and what it doesn't.
import type { ContainerSummary, Engine, ImageInfo, NetworkInfo, VolumeInfo } from '../engine/engine.js';
import type { Manifest } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { isReplacementName, LABEL } from './labels.js';
import { labelOwnership, type Ownership, ownershipOf } from './ownership.js';

export type { Ownership } from './ownership.js';

export interface ObservedContainer extends ContainerSummary {
  /** Set only when dom0 wrote its labels for this container (see ownership.ts). */
  owner?: Ownership;
  replacement: boolean;
}

export interface Observed {
  containers: ObservedContainer[];
  /** Local image ID per image reference; undefined when the image is not present. */
  imageIds: Record<string, string | undefined>;
  /** What each image reference declares (VOLUME paths); absent when the image is not present. */
  images: Record<string, ImageInfo | undefined>;
  /** The volumes dom0 made for this fleet (labelled with its name): backing volumes among them. */
  volumes: VolumeInfo[];
  /** The manifest's named volumes as the engine has them, by engine name (absent: not created yet). */
  namedVolumes: Record<string, VolumeInfo | undefined>;
  networks: NetworkInfo[];
}

/** `imageLabels`: the labels of the container's image, when known. */
export function toObserved(c: ContainerSummary, imageLabels?: Record<string, string>): ObservedContainer {
  return { ...c, owner: ownershipOf(c, imageLabels), replacement: isReplacementName(c.name) };
}

export async function observe(engine: Engine, manifest: Manifest): Promise<Observed> {
  const refs = [...new Set(entries(manifest).map((e) => e.image))];
  const named = Object.values(manifest.volumes).filter((v) => !v.external).map((v) => v.name);
  const [containers, images, volumes, namedVolumes, networks] = await Promise.all([
    engine.listContainers(),
    Promise.all(refs.map(async (r) => [r, await engine.inspectImage(r)] as const)),
    engine.listVolumes({ label: `${LABEL.fleet}=${manifest.name}` }),
    Promise.all(named.map(async (n) => [n, await engine.inspectVolume(n)] as const)),
    Object.values(manifest.networks).some((n) => !n.external) ? engine.listNetworks() : Promise.resolve([]),
  ]);
  const labelsById = await imageLabels(engine, containers, images.map(([, i]) => i));
  return {
    containers: containers.map((c) => toObserved(c, labelsById.get(c.imageId))),
    imageIds: Object.fromEntries(images.map(([r, i]) => [r, i?.id])),
    images: Object.fromEntries(images),
    volumes,
    namedVolumes: Object.fromEntries(namedVolumes),
    networks,
  };
}

/** The labels of every image a dom0-labelled container runs, each image inspected once. */
export async function imageLabels(
  engine: Engine,
  containers: ContainerSummary[],
  already: Array<ImageInfo | undefined> = [],
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const i of already) if (i) out.set(i.id, i.labels);
  const missing = new Set(containers.filter((c) => labelOwnership(c.labels) && !out.has(c.imageId)).map((c) => c.imageId));
  await Promise.all(
    [...missing].map(async (id) => {
      const i = await engine.inspectImage(id);
      if (i) out.set(id, i.labels);
    }),
  );
  return out;
}

/** Every container on the engine, with ownership decided (for down and the supervisor's sweeps). */
export async function observeContainers(engine: Engine): Promise<ObservedContainer[]> {
  const containers = await engine.listContainers();
  const labelsById = await imageLabels(engine, containers);
  return containers.map((c) => toObserved(c, labelsById.get(c.imageId)));
}
