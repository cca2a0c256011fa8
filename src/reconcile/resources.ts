// The manifest's named networks and volumes: which engine names another fleet already holds
// (an entry using one is blocked), and which to create, labelled, before any container. Pure.
import type { CreateNetworkRequest, CreateVolumeRequest } from '../engine/engine.js';
import type { ContainerSpec, Manifest } from '../manifest/types.js';
import { COMPOSE_LABEL, LABEL } from './labels.js';
import type { Observed } from './observe.js';

/** A named network or volume of the manifest: created when absent, with dom0's labels. */
export interface NetworkStep {
  readonly key: string;
  readonly name: string;
  readonly action: 'create' | 'exists';
  readonly labels: Readonly<Record<string, string>>;
  /** The create call (action create). */
  readonly create?: CreateNetworkRequest;
}

export interface VolumeStep {
  readonly key: string;
  readonly name: string;
  readonly action: 'create' | 'exists';
  readonly labels: Readonly<Record<string, string>>;
  readonly create?: CreateVolumeRequest;
}

/**
 * The manifest's networks (those a container joins) and named volumes, not external: created
 * when the engine does not have them yet, labelled with the fleet, the origin and their key.
 */
export function resourceSteps(manifest: Manifest, observed: Observed): { networks: NetworkStep[]; volumes: VolumeStep[] } {
  const used = new Set<string>();
  for (const e of [...manifest.jobs, ...manifest.services]) {
    if (!e.networkMode) for (const k of Object.keys(e.networks)) used.add(k);
  }
  const own = { [LABEL.fleet]: manifest.name, [LABEL.origin]: manifest.origin };
  const networks = Object.values(manifest.networks)
    .filter((n) => used.has(n.key) && !n.external)
    .map((n): NetworkStep => {
      const labels = { ...n.labels, [COMPOSE_LABEL.project]: manifest.name, [COMPOSE_LABEL.network]: n.key, ...own, [LABEL.networkKey]: n.key };
      if (observed.networks.some((x) => x.name === n.name)) return { key: n.key, name: n.name, action: 'exists', labels };
      const create: CreateNetworkRequest = {
        name: n.name,
        driver: n.driver,
        driverOpts: n.driverOpts,
        labels,
        internal: n.internal,
        attachable: n.attachable,
        enableIpv6: n.enableIpv6,
        ipam: n.ipam,
      };
      if (n.enableIpv4 !== undefined) create.enableIpv4 = n.enableIpv4;
      return { key: n.key, name: n.name, action: 'create', labels, create };
    });
  const volumes = Object.values(manifest.volumes)
    .filter((v) => !v.external)
    .map((v): VolumeStep => {
      const labels = { ...v.labels, [COMPOSE_LABEL.project]: manifest.name, [COMPOSE_LABEL.volume]: v.key, ...own, [LABEL.volumeKey]: v.key };
      if (observed.namedVolumes[v.name]) return { key: v.key, name: v.name, action: 'exists', labels };
      return { key: v.key, name: v.name, action: 'create', labels, create: { name: v.name, driver: v.driver, driverOpts: v.driverOpts, labels } };
    });
  return { networks, volumes };
}

/**
 * Named volumes and networks whose engine name another fleet (or another key of this one) already
 * holds, by `volume:<key>` / `network:<key>`: `shop` + `db_data` and `shop_db` + `data` both
 * make `shop_db_data`, and sharing it would mix two fleets' data.
 */
export function resourceConflicts(manifest: Manifest, observed: Observed): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const check = (id: string, what: string, name: string, labels: Record<string, string> | undefined, keyLabel: string, key: string) => {
    const owner = labels?.[LABEL.fleet];
    if (owner === undefined) return; // made by hand: used as it is, as Compose does
    if (owner !== manifest.name || (labels![keyLabel] !== undefined && labels![keyLabel] !== key)) {
      out.set(id, [
        `${what} "${name}" already exists for fleet "${owner}" (${keyLabel === LABEL.volumeKey ? 'volume' : 'network'} "${labels![keyLabel] ?? '?'}"), ` +
          `not for ${key} of fleet "${manifest.name}": give it another \`name:\`, or declare it external: true to share it`,
      ]);
    }
  };
  for (const v of Object.values(manifest.volumes)) {
    if (!v.external) check(`volume:${v.key}`, 'volume', v.name, observed.namedVolumes[v.name]?.labels, LABEL.volumeKey, v.key);
  }
  for (const n of Object.values(manifest.networks)) {
    if (!n.external) check(`network:${n.key}`, 'network', n.name, observed.networks.find((x) => x.name === n.name)?.labels, LABEL.networkKey, n.key);
  }
  return out;
}

/** The named volumes and networks an entry's container uses, as resourceConflicts keys them. */
export function usedResources(e: ContainerSpec): string[] {
  const out = e.volumes.flatMap((m) => (m.type === 'volume' ? [`volume:${m.source}`] : []));
  if (!e.networkMode) out.push(...Object.keys(e.networks).map((k) => `network:${k}`));
  return out;
}
