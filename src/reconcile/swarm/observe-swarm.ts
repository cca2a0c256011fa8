// What a Swarm holds for a fleet: its services (and any other service standing at an entry's
// name), its secrets and configs (and the `external` ones it names) and the networks, in a few list calls.
import type { NetworkInfo } from '../../engine/engine.js';
import type { ServiceInfo, SwarmEngine, SwarmObjectInfo } from '../../engine/swarm-engine.js';
import type { Manifest } from '../../manifest/types.js';
import { LABEL } from '../labels.js';
import { serviceName } from './service-spec.js';

export interface ObservedSwarm {
  /** Services labelled for this fleet, and services at an entry's name whatever their labels. */
  services: ServiceInfo[];
  /** This fleet's secrets, and the external ones the manifest names that exist. */
  secrets: SwarmObjectInfo[];
  configs: SwarmObjectInfo[];
  networks: NetworkInfo[];
}

export async function observeSwarm(engine: SwarmEngine, m: Manifest): Promise<ObservedSwarm> {
  const label = `${LABEL.fleet}=${m.name}`;
  const externals = (config: boolean) => [...new Set([...m.jobs, ...m.services].flatMap((e) => (e.fileCopies ?? []).filter((f) => !!f.config === config && f.external).map((f) => f.external!)))];
  // The engine filters names by prefix: keep the exact ones.
  const byName = (list: (o: { name: string }) => Promise<SwarmObjectInfo[]>, names: string[]) =>
    Promise.all(names.map(async (name) => (await list({ name })).filter((x) => x.name === name))).then((r) => r.flat());
  const [labelled, secrets, configs, extSecrets, extConfigs, networks] = await Promise.all([
    engine.listServices({ label }),
    engine.listSecrets({ label }),
    engine.listConfigs({ label }),
    byName((o) => engine.listSecrets(o), externals(false)),
    byName((o) => engine.listConfigs(o), externals(true)),
    engine.listNetworks(),
  ]);
  const have = new Set(labelled.map((s) => s.name));
  // A service at an entry's name dom0 did not label: found so plan can refuse to touch it.
  const others = await Promise.all(
    [...m.jobs, ...m.services].map((e) => serviceName(m.name, e.name)).filter((n) => !have.has(n)).map((n) => engine.inspectService(n)),
  );
  const merge = (a: SwarmObjectInfo[], b: SwarmObjectInfo[]) => [...a, ...b.filter((x) => !a.some((y) => y.id === x.id))];
  return { services: [...labelled, ...others.filter((s): s is ServiceInfo => !!s && s.name !== undefined)], secrets: merge(secrets, extSecrets), configs: merge(configs, extConfigs), networks };
}
