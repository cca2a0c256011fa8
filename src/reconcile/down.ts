// Down: stops and removes what this manifest declares (and the orphans proven to be this
// manifest's), dependents before what they depend on, independent entries in parallel. Volume
// containers, named volumes and the volumes backing anonymous paths stay unless `volumes`; even
// then only those this manifest declares go. Which container is whose is plan's decision.
import { topoLevels } from '../graph.js';
import { backoffDelay, sleep } from '../backoff.js';
import { limiter } from '../concurrency.js';
import type { Engine } from '../engine/engine.js';
import { silentLogger, type Log } from '../log.js';
import type { Manifest } from '../manifest/types.js';
import { runPreStop } from './hooks.js';
import { LABEL } from './labels.js';
import { observe, type ObservedContainer } from './observe.js';
import { resourceOfThisManifest } from './ownership.js';
import { plan } from './plan.js';
import { backingVolumeOwned } from './volume-backing.js';

/** Network removal is tried 3 times, 1 s then 2 s apart. */
const NETWORK_REMOVAL = { baseMs: 1000, capMs: 2000 } as const;
const NETWORK_REMOVAL_ATTEMPTS = 3;

export interface DownOptions {
  volumes?: boolean;
  concurrency?: number;
  log?: Log;
  /** Container IDs never to act on (dom0's own). */
  protect?: ReadonlySet<string>;
}

export interface DownResult {
  /** Containers removed. */
  removed: string[];
  /** Volumes removed (with `volumes`). */
  removedVolumes: string[];
  /** Volume containers kept (never removed without `volumes`). */
  kept: string[];
  /** What could not or should not be removed: networks the engine refused, volumes dom0 did not create. */
  warnings: string[];
}

export async function down(manifest: Manifest, engine: Engine, opts: DownOptions = {}): Promise<DownResult> {
  const log = opts.log ?? silentLogger();
  const fleet = manifest.name;
  const observed = await observe(engine, manifest);
  const thePlan = plan(manifest, observed, { protect: opts.protect });
  const byId = new Map(observed.containers.map((c) => [c.id, c]));
  const removed: string[] = [];
  const removedVolumes: string[] = [];
  const kept: string[] = [];
  const warnings: string[] = [];

  const running: ObservedContainer[] = [];
  const orphan = new Set(thePlan.actions.filter((a) => a.orphan && a.containerId).map((a) => a.containerId!)); // no pre_stop: not the entry's
  const volumeContainers: ObservedContainer[] = [];
  for (const a of thePlan.actions) {
    if (a.action === 'blocked') {
      if (a.orphan || a.containerId) warnings.push(`${a.containerName} kept: ${a.reasons[0]}`);
      continue;
    }
    const ids = a.orphan ? (a.action === 'remove' ? [a.containerId] : []) : [a.containerId, a.finishReplacementId, ...a.cleanupIds];
    for (const id of ids) {
      const c = id ? byId.get(id) : undefined;
      if (!c) continue;
      (a.kind === 'volume' ? volumeContainers : running).push(c);
    }
    if (a.orphan && a.kind === 'volume') kept.push(a.containerName);
  }

  // Order by the dependencies recorded on the containers, so orphans are ordered too.
  const keyOf = (c: ObservedContainer) => c.owner?.name ?? c.name;
  const edges = new Map(running.map((c) => [keyOf(c), (c.labels[LABEL.dependsOn] ?? '').split(',').filter(Boolean)]));
  let levels: string[][];
  try {
    levels = topoLevels([...edges.keys()], edges).reverse();
  } catch {
    levels = [[...edges.keys()]];
  }
  const run = limiter(Math.max(1, opts.concurrency ?? 8));
  const removeOne = async (c: ObservedContainer, volumes: boolean) => {
    const t0 = Date.now();
    if (c.state === 'running' && !orphan.has(c.id)) await runPreStop(engine, c.id, manifest.services.find((s) => s.name === c.owner?.name), log);
    await engine.stopContainer(c.id);
    await engine.removeContainer(c.id, { force: true, volumes });
    removed.push(c.name);
    log.info({ event: 'action', entry: keyOf(c), action: 'remove', durationMs: Date.now() - t0 }, `${c.name}: removed`);
  };
  for (const level of levels) {
    const names = new Set(level);
    await Promise.all(running.filter((c) => names.has(keyOf(c))).map((c) => run(() => removeOne(c, !!opts.volumes))));
  }
  for (const c of volumeContainers) {
    if (opts.volumes) await removeOne(c, true);
    else kept.push(c.name);
  }
  if (opts.volumes) {
    for (const v of Object.values(manifest.volumes)) {
      if (v.external) continue;
      // Only volumes dom0 created for this fleet from this manifest: a same-named volume made by hand is not ours.
      const info = await engine.inspectVolume(v.name);
      if (info && resourceOfThisManifest(info.labels, manifest)) {
        await engine.removeVolume(v.name);
        removedVolumes.push(v.name);
      } else if (info) warnings.push(`volume ${v.name} kept: not created by dom0 for this manifest`);
    }
    for (const v of await engine.listVolumes({ label: `${LABEL.fleet}=${fleet}` })) {
      if (!backingVolumeOwned(v, manifest)) continue;
      await engine.removeVolume(v.name).then(
        () => removedVolumes.push(v.name),
        (e) => warnings.push(`volume ${v.name} could not be removed: ${(e as Error).message}`),
      );
    }
  }
  for (const n of await engine.listNetworks()) {
    if (!resourceOfThisManifest(n.labels, manifest)) continue;
    // Under load the engine can count an endpoint that is already gone for a moment: retry, then say so.
    for (let attempt = 1; ; attempt++) {
      try {
        await engine.removeNetwork(n.id);
        break;
      } catch (e) {
        if (attempt >= NETWORK_REMOVAL_ATTEMPTS) {
          log.warn({ event: 'network-kept', network: n.name, error: (e as Error).message }, `network ${n.name} could not be removed`);
          warnings.push(`network ${n.name} could not be removed: ${(e as Error).message}`);
          break;
        }
        await sleep(backoffDelay(attempt, NETWORK_REMOVAL));
      }
    }
  }
  return { removed, removedVolumes, kept, warnings };
}
