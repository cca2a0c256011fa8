// Apply = observe → plan the pulls → pull → plan the builds → build → the new images observed again
// → plan → execute.
// The plan it returns is the very plan it carried out; what happened is beside it (outcomes).
import type { Engine } from '../engine/engine.js';
import { silentLogger, type Log } from '../log.js';
import type { Manifest } from '../manifest/types.js';
import { type BuildHashes, type BuildOutcome, type BuildStep, executeBuilds, hasBuilds, hashBuilds, planBuilds } from './build.js';
import { type EntryOutcome, execute } from './execute.js';
import { type HostOptions, placeManifest } from './host-facts.js';
import { observe, type Observed } from './observe.js';
import { plan, type Plan } from './plan.js';
import { emptyPullOutcome, executePulls, planPulls, pullRun, type PullImagesOptions, type PullOutcome, type PullStep } from './pull.js';

export { DEFAULT_WAIT_TIMEOUT_MS, JOB_DEFAULT_RETRIES } from './plan.js';
export type { EntryOutcome, EntryStatus } from './execute.js';

export interface ApplyOptions {
  concurrency?: number;
  adopt?: boolean;
  /** See PlanOptions.acceptDataLoss. */
  acceptDataLoss?: boolean;
  waitTimeoutMs?: number;
  log?: Log;
  /** Skip pulling (images must be present). */
  noPull?: boolean;
  /** See PlanOptions.startStopped. */
  startStopped?: boolean;
  /** Container IDs never to act on (dom0's own). */
  protect?: ReadonlySet<string>;
  /** Distinct images pulled at once (CLI --pull-concurrency; default $DOM0_PULL_CONCURRENCY or 4). */
  pullConcurrency?: number;
  /** Pull context and tuning: state dir for pull times, stall timeout, retries (see PullImagesOptions). */
  pull?: PullImagesOptions;
  /** See PlanOptions.rerunJobs. */
  rerunJobs?: ReadonlyMap<string, string>;
  /** Where node.hostname and node.labels come from (default: DOM0_HOSTNAME, DOM0_HOST_LABELS). */
  host?: HostOptions;
  /** Tests: how to wait between a job's on-failure runs (default: really wait). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ApplyResult {
  /** The manifest as this host applied it: the entries placed elsewhere (deploy.placement) left out. */
  manifest: Manifest;
  /** The plan apply executed: pull decisions, networks and volumes, one action per entry and orphan. */
  plan: Plan;
  outcomes: EntryOutcome[];
  converged: boolean;
  durationMs: number;
  /** What the pulls did: images that fell back to a local copy, failed, were pulled. */
  pulls: PullOutcome;
  /** What the builds did (entries with `build:`): images built, kept, failed. */
  builds: BuildOutcome;
}

export async function apply(full: Manifest, engine: Engine, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const started = Date.now();
  const log = opts.log ?? silentLogger();
  log.info({ event: 'apply-started', fleet: full.name }, `apply ${full.name}`);
  // Placement first: this host applies only the entries that select it.
  const placed = await placeManifest(full, engine, opts.host);
  const manifest = placed?.manifest ?? full;
  for (const n of placed?.placement.notPlaced ?? []) log.info({ event: 'not-placed', entry: n.entry, reason: n.reason }, `${n.entry}: ${n.reason}`);
  for (const note of placed?.placement.notes ?? []) log.warn({ event: 'placement-note' }, note);

  const before = await observe(engine, manifest);
  let pullSteps: PullStep[] = [];
  let pulls = emptyPullOutcome();
  if (!opts.noPull) {
    const run = pullRun(manifest, engine, log, { ...opts.pull, concurrency: opts.pullConcurrency ?? opts.pull?.concurrency });
    pullSteps = planPulls(manifest, before.images, (c) => run.ctx.times.lastPulledAt(c), run.now());
    pulls = await executePulls(pullSteps, before.images, run);
  }
  const pulled = withPulledImages(before, pulls);
  // Hashing reads every build context: only for a manifest that builds.
  const hashes: BuildHashes = hasBuilds(manifest) ? await hashBuilds(manifest) : new Map();
  const buildSteps: BuildStep[] = planBuilds(manifest, pulled.images, hashes);
  const builds = await executeBuilds(buildSteps, manifest, engine, log, opts.pull?.signal);
  const observed = withBuiltImages(pulled, builds);
  const thePlan = plan(manifest, observed, {
    adopt: opts.adopt,
    acceptDataLoss: opts.acceptDataLoss,
    startStopped: opts.startStopped,
    protect: opts.protect,
    waitTimeoutMs: opts.waitTimeoutMs,
    pulls: pullSteps,
    builds: buildSteps,
    rerunJobs: opts.rerunJobs,
    placement: placed?.placement,
  });
  const imageFailures = new Map([...pulls.failed, ...builds.failed]);
  const outcomes = await execute(manifest, thePlan, engine, { concurrency: opts.concurrency, log, pullFailures: imageFailures, sleep: opts.sleep });
  const converged = outcomes.every((o) => o.status === 'ok');
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  const durationMs = Date.now() - started;
  log.info({ event: 'apply-finished', fleet: manifest.name, converged, counts, durationMs }, `apply ${converged ? 'converged' : 'did not converge'}`);
  return { manifest, plan: thePlan, outcomes, converged, durationMs, pulls, builds };
}

/** The observation with the images as the pulls left them (each pull inspected its image after). */
function withPulledImages(observed: Observed, pulls: PullOutcome): Observed {
  const images = { ...observed.images };
  const imageIds = { ...observed.imageIds };
  for (const row of pulls.images) {
    if (!row.image) continue;
    for (const r of row.refs) {
      images[r] = row.image;
      imageIds[r] = row.image.id;
    }
  }
  return { ...observed, images, imageIds };
}

/** The observation with the images the builds made. */
function withBuiltImages(observed: Observed, builds: BuildOutcome): Observed {
  const images = { ...observed.images };
  const imageIds = { ...observed.imageIds };
  for (const row of builds.images) {
    if (row.result !== 'built' || !row.info) continue;
    images[row.image] = row.info;
    imageIds[row.image] = row.info.id;
  }
  return { ...observed, images, imageIds };
}
