// The plan an apply would carry out now, without pulling or building: what `dom0 plan` prints
// and the status page shows.
import type { Engine } from '../engine/engine.js';
import type { Manifest } from '../manifest/types.js';
import { PullTimes } from '../registry/pull-state.js';
import { hasBuilds, hashBuilds, planBuilds } from './build.js';
import { type HostOptions, placeManifest } from './host-facts.js';
import { observe } from './observe.js';
import { plan, type Plan, type PlanOptions } from './plan.js';
import { planPulls } from './pull.js';

export async function previewPlan(
  full: Manifest,
  engine: Engine,
  stateDir: string,
  opts: Pick<PlanOptions, 'adopt' | 'acceptDataLoss'> & { host?: HostOptions } = {},
): Promise<Plan> {
  const placed = await placeManifest(full, engine, opts.host);
  const manifest = placed?.manifest ?? full;
  const observed = await observe(engine, manifest);
  const times = PullTimes.open(stateDir);
  const pulls = planPulls(manifest, observed.images, (c) => times.lastPulledAt(c), Date.now());
  const builds = planBuilds(manifest, observed.images, hasBuilds(manifest) ? await hashBuilds(manifest) : new Map());
  return plan(manifest, observed, { adopt: opts.adopt, acceptDataLoss: opts.acceptDataLoss, pulls, builds, placement: placed?.placement });
}
