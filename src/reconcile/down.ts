// Down: stops and removes the fleet's services and jobs, dependents before what they depend on,
// independent entries in parallel. Volume containers and named volumes stay unless `volumes`.
import { topoLevels } from '../graph.js';
import { limiter } from '../concurrency.js';
import type { Engine } from '../engine/engine.js';
import { silentLogger, type Log } from '../log.js';
import type { Manifest } from '../manifest/types.js';
import { LABEL } from './labels.js';
import { toObserved } from './observe.js';

export interface DownOptions {
  volumes?: boolean;
  concurrency?: number;
  log?: Log;
}

export interface DownResult {
  removed: string[];
  /** Volume containers kept (never removed without `volumes`). */
  kept: string[];
  /** What could not or should not be removed: networks the engine refused, volumes dom0 did not create. */
  warnings: string[];
}

export async function down(manifest: Manifest, engine: Engine, opts: DownOptions = {}): Promise<DownResult> {
  const log = opts.log ?? silentLogger();
  const fleet = manifest.name;
  const mine = (await engine.listContainers()).map(toObserved).filter((c) => c.owner?.fleet === fleet);
  const removed: string[] = [];
  const kept: string[] = [];
  const warnings: string[] = [];

  // Order by the dependencies recorded on the containers, so orphans are ordered too.
  const running = mine.filter((c) => c.owner!.kind !== 'volume');
  const keyOf = (c: (typeof mine)[number]) => c.owner!.name;
  const edges = new Map(running.map((c) => [keyOf(c), (c.labels[LABEL.dependsOn] ?? '').split(',').filter(Boolean)]));
  let levels: string[][];
  try {
    levels = topoLevels([...edges.keys()], edges).reverse();
  } catch {
    levels = [[...edges.keys()]];
  }
  const run = limiter(Math.max(1, opts.concurrency ?? 8));
  const removeOne = async (c: (typeof mine)[number], volumes: boolean) => {
    const t0 = Date.now();
    await engine.stopContainer(c.id);
    await engine.removeContainer(c.id, { force: true, volumes });
    removed.push(c.name);
    log.info({ event: 'action', entry: c.owner!.name, action: 'remove', durationMs: Date.now() - t0 }, `${c.name}: removed`);
  };
  for (const level of levels) {
    const names = new Set(level);
    await Promise.all(running.filter((c) => names.has(keyOf(c))).map((c) => run(() => removeOne(c, !!opts.volumes))));
  }
  for (const c of mine.filter((c) => c.owner!.kind === 'volume')) {
    if (opts.volumes) await removeOne(c, true);
    else kept.push(c.name);
  }
  if (opts.volumes) {
    for (const v of Object.values(manifest.volumes)) {
      if (v.external) continue;
      // Only volumes dom0 created for this fleet: a same-named volume made by hand is not ours.
      const info = await engine.inspectVolume(v.name);
      if (info?.labels[LABEL.fleet] === fleet) await engine.removeVolume(v.name);
      else if (info) warnings.push(`volume ${v.name} kept: not created by dom0`);
    }
  }
  for (const n of await engine.listNetworks()) {
    if (n.labels[LABEL.fleet] !== fleet) continue;
    // Under load the engine can count an endpoint that is already gone for a moment: retry, then say so.
    for (let attempt = 1; ; attempt++) {
      try {
        await engine.removeNetwork(n.id);
        break;
      } catch (e) {
        if (attempt >= 3) {
          log.warn({ event: 'network-kept', network: n.name, error: (e as Error).message }, `network ${n.name} could not be removed`);
          warnings.push(`network ${n.name} could not be removed: ${(e as Error).message}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  }
  return { removed, kept, warnings };
}
