// What a Swarm holds for a fleet: its services (and any other service standing at an entry's
// name), its secrets and the networks, in a few list calls.
import type { NetworkInfo } from '../../engine/engine.js';
import type { ServiceInfo, SwarmEngine, SwarmObjectInfo } from '../../engine/swarm-engine.js';
import type { Manifest } from '../../manifest/types.js';
import { LABEL } from '../labels.js';
import { serviceName } from './service-spec.js';

export interface ObservedSwarm {
  /** Services labelled for this fleet, and services at an entry's name whatever their labels. */
  services: ServiceInfo[];
  secrets: SwarmObjectInfo[];
  networks: NetworkInfo[];
}

export async function observeSwarm(engine: SwarmEngine, m: Manifest): Promise<ObservedSwarm> {
  const [labelled, secrets, networks] = await Promise.all([
    engine.listServices({ label: `${LABEL.fleet}=${m.name}` }),
    engine.listSecrets({ label: `${LABEL.fleet}=${m.name}` }),
    engine.listNetworks(),
  ]);
  const have = new Set(labelled.map((s) => s.name));
  // A service at an entry's name dom0 did not label: found so plan can refuse to touch it.
  const others = await Promise.all(
    [...m.jobs, ...m.services].map((e) => serviceName(m.name, e.name)).filter((n) => !have.has(n)).map((n) => engine.inspectService(n)),
  );
  return { services: [...labelled, ...others.filter((s): s is ServiceInfo => !!s && s.name !== undefined)], secrets, networks };
}
