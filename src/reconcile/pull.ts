// Pulls the fleet's images per pull_policy: each distinct image once per apply, several at a time,
// with the right credentials per registry, retries for transient failures, and offline-first
// fallback: when a pull fails and the image is present locally, the local image is used (warned
// once) and the fleet goes on. Only an image that cannot be had at all fails its entries (apply
// then skips their dependents).

import { limiter } from '../concurrency.js';
import type { Engine, ImageInfo } from '../engine/engine.js';
import type { Log } from '../log.js';
import type { Manifest, PullPolicy } from '../manifest/types.js';
import { entries } from '../manifest/types.js';
import { Credentials } from '../registry/credentials.js';
import { decidePull, effectivePolicy, formatPolicy, type PullDecision } from '../registry/policy.js';
import { PullTimes } from '../registry/pull-state.js';
import { describeSuccess, engineDetail, PullError, pullOne, type PullSuccess } from '../registry/puller.js';
import { parseImageRef } from '../registry/reference.js';
import { pullSettings, type PullSettingsOverrides } from '../registry/settings.js';
import type { RetryPolicy } from '../registry/retry.js';
import { stateDirFromEnv } from '../state-path.js';

export interface PullImagesOptions extends PullSettingsOverrides {
  /** Where pull times are kept (pull_policy every_<d>); default $DOM0_STATE_DIR or /var/lib/dom0; null = nowhere. */
  stateDir?: string | null;
  /** For $DOCKER_CONFIG, $HOME and the DOM0_PULL_* settings; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Credentials to use instead of manifest + config.json (tests). */
  credentials?: Credentials;
  now?: () => number;
  signal?: AbortSignal;
  /**
   * An image present locally is not pulled now: it is used as it is and its pull is left to the
   * background retry (`dom0 up` at boot: nothing waits on the network before the fleet starts).
   */
  deferPresent?: boolean;
  /** Tests: deterministic jitter / no real waiting between retries. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type ImagePullResult = 'pulled' | 'up-to-date' | 'present' | 'fallback' | 'failed';

export interface ImagePull {
  /** The reference as the first entry using it wrote it. */
  ref: string;
  /** Every spelling of this image in the manifest ("busybox", "busybox:latest", ...). */
  refs: string[];
  result: ImagePullResult;
  /** Why it was pulled or not (policy). */
  reason: string;
  previousId?: string;
  imageId?: string;
  /** The local image after this step (what observe would inspect again). */
  image?: ImageInfo;
  error?: string;
  /** The failure may pass (registry down, network): worth retrying in the background. */
  transient?: boolean;
  durationMs?: number;
  bytes?: number;
}

export interface PullOutcome {
  /** Images that could not be had, by reference as written: entries using them fail. */
  failed: Map<string, string>;
  /** References pulled successfully in this apply. */
  pulled: string[];
  /** References whose pull failed while a local image exists: the local image is used. */
  fellBack: string[];
  /** References absent locally whose pull failed transiently: may arrive later. */
  retryable: string[];
  /** One row per distinct image. */
  images: ImagePull[];
}

export function emptyPullOutcome(): PullOutcome {
  return { failed: new Map(), pulled: [], fellBack: [], retryable: [], images: [] };
}

/** Images in fallback already warned about by this process: warned once, then logged quieter. */
const warnedFallback = new Set<string>();
/** config.json problems already reported by this process. */
const reportedConfig = new Set<string>();

export interface ResolvedPullContext {
  credentials: Credentials;
  retry: RetryPolicy;
  stallTimeoutMs: number;
  progressIntervalMs: number;
  concurrency: number;
  times: PullTimes;
}

/** Settings, credentials and the pull-time record for one round of pulls. */
export function pullContext(manifest: Pick<Manifest, 'file' | 'registries'>, log: Log, opts: PullImagesOptions = {}): ResolvedPullContext {
  const env = opts.env ?? process.env;
  const { settings, problems } = pullSettings(opts, env);
  for (const p of problems) reportOnce(log, p, { event: 'pull-settings-ignored' });
  const credentials = opts.credentials ?? Credentials.load(manifest, { env });
  for (const w of credentials.warnings) reportOnce(log, w, { event: 'docker-config-invalid' });
  const stateDir = opts.stateDir === null ? undefined : (opts.stateDir ?? stateDirFromEnv(env));
  return { credentials, ...settings, times: PullTimes.open(stateDir, log) };
}

function reportOnce(log: Log, message: string, fields: object): void {
  if (reportedConfig.has(message)) return;
  reportedConfig.add(message);
  log.warn({ ...fields, problem: message }, message);
}

/**
 * One distinct image of the fleet and what its pull_policy decides for this round: pull (and
 * why), skip (and why), or fail (absent under `never`). Decided from what the engine has, so it
 * is part of the plan.
 */
export interface PullStep {
  /** The canonical reference: one step per distinct image. */
  image: string;
  /** The reference as the first entry using it wrote it. */
  ref: string;
  /** Every spelling of this image in the manifest ("busybox", "busybox:latest", ...). */
  refs: string[];
  /** The most eager of its entries' policies. */
  policy: string;
  action: PullDecision['action'];
  reason: string;
  /** The local image ID when decided; absent when the image is not present. */
  presentId?: string;
  /** The `platform` an entry using this image asks for (the first one that does): sent with the pull. */
  platform?: string;
  /** An every_<d>/daily/weekly policy: a successful pull is recorded in the state dir. */
  timed: boolean;
  /**
   * An entry builds this image (`build:`): a failed pull fails nothing, the image is built instead
   * (as Compose does), so the pull is tried once, without retries.
   */
  buildable?: true;
}

interface ImageGroup {
  refs: string[];
  policies: PullPolicy[];
  /** An entry builds it. */
  buildable: boolean;
  /** It is built under the name dom0 gave it (`<fleet>-<entry>`, no `image:`): there is nothing to pull. */
  localName: boolean;
}

/** The images of a manifest, each distinct image once, with its spellings and policies. */
function imageGroups(manifest: Manifest): Map<string, ImageGroup> {
  const groups = new Map<string, ImageGroup>();
  for (const e of entries(manifest)) {
    const key = parseImageRef(e.image).canonical;
    const g = groups.get(key) ?? { refs: [], policies: [], buildable: false, localName: false };
    if (!g.refs.includes(e.image)) g.refs.push(e.image);
    g.policies.push(e.pullPolicy);
    if (e.kind !== 'volume' && e.build) {
      g.buildable = true;
      if (e.build.localName) g.localName = true;
    }
    groups.set(key, g);
  }
  return groups;
}

/** A pull decision for an image an entry builds, when the build decides instead (Compose: pull_policy build, never). */
function buildInstead(g: ImageGroup, present: boolean): string | undefined {
  if (g.localName) return 'built by dom0 (no `image:` to pull)';
  if (g.policies.includes('build')) return 'pull_policy build: built, not pulled';
  if (!present && g.policies.every((p) => p === 'never')) return 'not present locally and pull_policy is never: built, not pulled';
  return undefined;
}

/**
 * The pull decisions: `images`, what the engine has per reference (observe's Observed.images);
 * `lastPulledAt`, the recorded pull time of a canonical image (asked only for timed policies).
 */
export function planPulls(
  manifest: Manifest,
  images: Readonly<Record<string, ImageInfo | undefined>>,
  lastPulledAt: (canonical: string) => number | undefined,
  now: number,
): PullStep[] {
  const out: PullStep[] = [];
  for (const [canonical, g] of imageGroups(manifest)) {
    const ref = g.refs[0]!;
    const before = images[ref];
    const instead = g.buildable ? buildInstead(g, before !== undefined) : undefined;
    if (instead !== undefined) {
      out.push({ image: canonical, ref, refs: g.refs, policy: formatPolicy(effectivePolicy(g.policies)), action: 'skip', reason: instead, presentId: before?.id, timed: false, buildable: true });
      continue;
    }
    const digestPinned = parseImageRef(ref).digest !== undefined;
    const policy = effectivePolicy(g.policies);
    // Pull times matter (and the state dir is touched) only for every_<d>/daily/weekly.
    const timed = typeof policy === 'object' && !digestPinned;
    const decision = decidePull({
      ref,
      policies: g.policies,
      present: before !== undefined,
      digestPinned,
      lastPulledAt: timed && before ? lastPulledAt(canonical) : undefined,
      now,
    });
    const step: PullStep = { image: canonical, ref, refs: g.refs, policy: formatPolicy(policy), action: decision.action, reason: decision.reason, presentId: before?.id, timed };
    if (g.buildable) {
      step.buildable = true;
      if (decision.action === 'pull' && !before) step.reason += '; built if the pull fails';
    }
    const platform = [...manifest.jobs, ...manifest.services].find((e) => e.platform && g.refs.includes(e.image))?.platform;
    if (platform) step.platform = platform;
    out.push(step);
  }
  return out.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

/** What one round of pulls works with: the engine, the log, settings and credentials, the clock. */
export interface PullRun {
  engine: Engine;
  log: Log;
  ctx: ResolvedPullContext;
  now: () => number;
  opts: PullImagesOptions;
}

export function pullRun(manifest: Pick<Manifest, 'file' | 'registries'>, engine: Engine, log: Log, opts: PullImagesOptions = {}): PullRun {
  return { engine, log, ctx: pullContext(manifest, log, opts), now: opts.now ?? Date.now, opts };
}

/** Carries out pull steps, several at a time; `images`: the local images the steps were decided on. */
export async function executePulls(steps: readonly PullStep[], images: Readonly<Record<string, ImageInfo | undefined>>, run: PullRun): Promise<PullOutcome> {
  const out = emptyPullOutcome();
  const limit = limiter(run.ctx.concurrency);
  await Promise.all(
    steps.map((step) =>
      limit(async () => {
        const row = await pullStep(run, step, images[step.ref]);
        out.images.push(row);
        if (row.result === 'failed' && step.buildable) {
          // Built instead (build.ts): neither a failure of its entries nor a background retry.
        } else if (row.result === 'failed') {
          for (const r of row.refs) out.failed.set(r, row.error ?? `image ${r} could not be pulled`);
          if (row.transient) out.retryable.push(...row.refs);
        } else if (row.result === 'fallback') out.fellBack.push(...row.refs);
        else if (row.result === 'pulled' || row.result === 'up-to-date') out.pulled.push(...row.refs);
      }),
    ),
  );
  out.images.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return out;
}

/** Decide from what the engine has now, then pull: the fleet's images, each distinct image once. */
export async function pullImages(manifest: Manifest, engine: Engine, log: Log, opts: PullImagesOptions = {}): Promise<PullOutcome> {
  const run = pullRun(manifest, engine, log, opts);
  const refs = [...imageGroups(manifest).values()].map((g) => g.refs[0]!);
  const images = Object.fromEntries(await Promise.all(refs.map(async (r) => [r, await engine.inspectImage(r)] as const)));
  const steps = planPulls(manifest, images, (c) => run.ctx.times.lastPulledAt(c), run.now());
  return executePulls(steps, images, run);
}

/** One step: a skip or a policy failure as decided, else the pull (with fallback to the local image). */
async function pullStep(run: PullRun, step: PullStep, before: ImageInfo | undefined): Promise<ImagePull> {
  const { log } = run;
  const { ref, refs } = step;
  const row: ImagePull = { ref, refs, result: 'present', reason: step.reason };
  if (before) row.previousId = before.id;

  if (step.action === 'skip') {
    row.imageId = before?.id;
    row.image = before;
    log.debug({ event: 'pull', image: ref, result: 'present', reason: step.reason, imageId: before?.id }, `${ref}: not pulled (${step.reason})`);
    return row;
  }
  if (step.action === 'fail') {
    row.result = 'failed';
    row.error = step.reason;
    log.error({ event: 'pull-failed', image: ref, kind: 'policy', error: step.reason }, step.reason);
    return row;
  }

  const { host, credential } = run.ctx.credentials.forImage(ref);
  if (before && run.opts.deferPresent) {
    row.result = 'fallback';
    row.transient = true; // the background retry pulls it
    row.imageId = before.id;
    row.image = before;
    log.info({ event: 'pull-deferred', image: ref, registry: host, reason: step.reason, imageId: before.id }, `${ref}: starting from the local image ${shortId(before.id)}; pulling in the background (${step.reason})`);
    return row;
  }
  log.debug(
    { event: 'pull-started', image: ref, registry: host, user: credential?.username, credentialSource: credential?.source, reason: step.reason },
    `pulling ${ref} (${step.reason})`,
  );
  let success: PullSuccess;
  try {
    success = await pullOne(run.engine, ref, {
      credentials: run.ctx.credentials,
      retry: step.buildable ? { ...run.ctx.retry, attempts: 1 } : run.ctx.retry,
      stallTimeoutMs: run.ctx.stallTimeoutMs,
      progressIntervalMs: run.ctx.progressIntervalMs,
      log,
      signal: run.opts.signal,
      platform: step.platform,
      random: run.opts.random,
      sleep: run.opts.sleep,
    });
  } catch (e) {
    const err = e instanceof PullError ? e : new PullError('fatal', `pull of ${ref} failed: ${engineDetail(e)}`, 1);
    row.error = err.message;
    row.transient = err.transient;
    const fields = { image: ref, registry: host, user: credential?.username, kind: err.kind, attempts: err.attempts, error: err.message };
    if (before) {
      row.result = 'fallback';
      row.imageId = before.id;
      row.image = before;
      const first = !warnedFallback.has(step.image);
      warnedFallback.add(step.image);
      log[first ? 'warn' : 'info'](
        { event: 'pull-fallback', ...fields, imageId: before.id },
        `${err.message}; using the local image ${shortId(before.id)}${first ? '' : ' (still)'}`,
      );
    } else {
      row.result = 'failed';
      if (step.buildable) log.info({ event: 'pull-failed', ...fields, buildable: true }, `${err.message}; the image will be built`);
      else log.error({ event: 'pull-failed', ...fields }, err.message);
    }
    return row;
  }
  warnedFallback.delete(step.image);
  return recordPull(run, step, before, success, row, host);
}

/** After a successful pull: the new local image, the pull time (timed policies), the log line. */
async function recordPull(run: PullRun, step: PullStep, before: ImageInfo | undefined, success: PullSuccess, row: ImagePull, host: string): Promise<ImagePull> {
  const { ref } = step;
  const after = await run.engine.inspectImage(ref);
  row.result = success.result;
  row.imageId = after?.id;
  row.image = after;
  row.durationMs = success.durationMs;
  row.bytes = success.bytes;
  if (step.timed) run.ctx.times.record(step.image, after?.id, run.now());
  const changed = before !== undefined && after !== undefined && before.id !== after.id;
  run.log.info(
    {
      event: 'pull',
      image: ref,
      registry: host,
      result: success.result,
      fromCache: success.result === 'up-to-date',
      bytes: success.bytes,
      layers: success.layers,
      layersCached: success.layersCached,
      durationMs: success.durationMs,
      attempts: success.attempts,
      imageId: after?.id,
      previousImageId: before?.id,
      changed,
      policy: step.policy,
    },
    describeSuccess(ref, success) + (changed ? ` (new image ${shortId(after!.id)}, was ${shortId(before!.id)})` : ''),
  );
  return row;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
