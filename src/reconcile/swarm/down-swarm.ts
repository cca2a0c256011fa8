// `dom0 down` on a Swarm: this manifest's services (dependents first), then the overlay networks
// secrets and configs dom0 made for it. Named volumes stay unless `volumes`; a service dom0 did not
// create for this fleet from this manifest is never touched.
import type { SwarmEngine } from '../../engine/swarm-engine.js';
import type { Log } from '../../log.js';
import type { Manifest } from '../../manifest/types.js';
import { topoLevels } from '../../graph.js';
import { LABEL } from '../labels.js';
import { resourceOfThisManifest } from '../ownership.js';
import { checkSwarm } from './execute-swarm.js';

export interface SwarmDownResult {
  removed: string[]; // services
  removedNetworks: string[];
  removedVolumes: string[];
  warnings: string[];
}

/** Set by Swarm on each task's container. */
const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function downSwarm(m: Manifest, engine: SwarmEngine, opts: { volumes?: boolean; log?: Log; timeoutMs?: number } = {}): Promise<SwarmDownResult> {
  await checkSwarm(engine);
  const mine = (labels: Record<string, string>) => labels[LABEL.fleet] === m.name && labels[LABEL.origin] === m.origin;
  const services = (await engine.listServices({ label: `${LABEL.fleet}=${m.name}` })).filter((s) => mine(s.labels));
  const deps = new Map([...m.jobs, ...m.services].map((e) => [e.name, e.dependsOn.map((d) => d.name)]));
  const entryOf = (s: (typeof services)[number]) => s.labels[LABEL.name] ?? s.name;
  const levels = topoLevels(services.map(entryOf), deps);
  const out: SwarmDownResult = { removed: [], removedNetworks: [], removedVolumes: [], warnings: [] };
  for (const level of levels.reverse()) {
    for (const s of services.filter((x) => level.includes(entryOf(x)))) {
      opts.log?.info({ service: s.name }, 'removing service');
      await engine.removeService(s.id);
      out.removed.push(s.name);
    }
  }
  // Tasks leave their networks and volumes a moment after their service is gone.
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const retry = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    for (;;) {
      try {
        await fn();
        return true;
      } catch (e) {
        if (Date.now() > deadline) {
          out.warnings.push(`${what} kept: ${(e as Error).message}`);
          return false;
        }
        await sleep(250);
      }
    }
  };
  const networks = (await engine.listNetworks()).filter((n) => Object.values(m.networks).some((x) => !x.external && x.name === n.name) && n.labels[LABEL.fleet] !== undefined && resourceOfThisManifest(n.labels, m));
  for (const n of networks) if (await retry(`network ${n.name}`, () => engine.removeNetwork(n.id))) out.removedNetworks.push(n.name);
  for (const s of (await engine.listSecrets({ label: `${LABEL.fleet}=${m.name}` })).filter((x) => mine(x.labels))) await retry(`secret ${s.name}`, () => engine.removeSecret(s.id));
  // External ones carry no dom0 labels: never listed here, never removed.
  for (const c of (await engine.listConfigs({ label: `${LABEL.fleet}=${m.name}` })).filter((x) => mine(x.labels))) await retry(`config ${c.name}`, () => engine.removeConfig(c.id));
  if (opts.volumes) {
    // Swarm removes a removed service's stopped task containers only some time later, and they
    // hold its volumes: remove the stopped task containers of this manifest's services (on this
    // node; every service of it is gone by now, an earlier `down` may have removed them).
    const leftovers = async () => {
      for (const c of await engine.listContainers()) {
        if (c.state !== 'running' && c.labels[SWARM_SERVICE_LABEL] !== undefined && mine(c.labels)) await engine.removeContainer(c.id);
      }
    };
    // The volumes on this node: a Swarm has one set per node, and dom0 reaches only the manager's.
    for (const v of (await engine.listVolumes({ label: `${LABEL.fleet}=${m.name}` })).filter((x) => resourceOfThisManifest(x.labels, m))) {
      if (await retry(`volume ${v.name}`, async () => {
        await leftovers();
        await engine.removeVolume(v.name);
        if (await engine.inspectVolume(v.name)) throw new Error('still there');
      })) out.removedVolumes.push(v.name);
    }
  }
  return out;
}
