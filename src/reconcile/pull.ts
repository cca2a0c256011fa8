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
import { decidePull, effectivePolicy, formatPolicy } from '../registry/policy.js';
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

export async function pullImages(manifest: Manifest, engine: Engine, log: Log, opts: PullImagesOptions = {}): Promise<PullOutcome> {
  const ctx = pullContext(manifest, log, opts);
  const now = opts.now ?? Date.now;

  // Each distinct image once: group the spellings of one image by its canonical reference.
  const groups = new Map<string, { refs: string[]; policies: PullPolicy[] }>();
  for (const e of entries(manifest)) {
    const key = parseImageRef(e.image).canonical;
    const g = groups.get(key) ?? { refs: [], policies: [] };
    if (!g.refs.includes(e.image)) g.refs.push(e.image);
    g.policies.push(e.pullPolicy);
    groups.set(key, g);
  }

  const out = emptyPullOutcome();
  const run = limiter(ctx.concurrency);
  await Promise.all(
    [...groups].map(([canonical, g]) =>
      run(async () => {
        const row = await pullGroup(engine, log, ctx, canonical, g.refs, g.policies, now, opts);
        out.images.push(row);
        if (row.result === 'failed') {
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

async function pullGroup(
  engine: Engine,
  log: Log,
  ctx: ResolvedPullContext,
  canonical: string,
  refs: string[],
  policies: PullPolicy[],
  now: () => number,
  opts: PullImagesOptions,
): Promise<ImagePull> {
  const ref = refs[0]!;
  const before = await engine.inspectImage(ref);
  const digestPinned = parseImageRef(ref).digest !== undefined;
  // Pull times matter (and the state dir is touched) only for every_<d>/daily/weekly.
  const timed = typeof effectivePolicy(policies) === 'object' && !digestPinned;
  const decision = decidePull({
    ref,
    policies,
    present: before !== undefined,
    digestPinned,
    lastPulledAt: timed && before ? ctx.times.lastPulledAt(canonical) : undefined,
    now: now(),
  });
  const row: ImagePull = { ref, refs, result: 'present', reason: decision.reason };
  if (before) row.previousId = before.id;

  if (decision.action === 'skip') {
    row.imageId = before?.id;
    row.image = before;
    log.debug({ event: 'pull', image: ref, result: 'present', reason: decision.reason, imageId: before?.id }, `${ref}: not pulled (${decision.reason})`);
    return row;
  }
  if (decision.action === 'fail') {
    row.result = 'failed';
    row.error = decision.reason;
    log.error({ event: 'pull-failed', image: ref, kind: 'policy', error: decision.reason }, decision.reason);
    return row;
  }

  const { host, credential } = ctx.credentials.forImage(ref);
  log.debug(
    { event: 'pull-started', image: ref, registry: host, user: credential?.username, credentialSource: credential?.source, reason: decision.reason },
    `pulling ${ref} (${decision.reason})`,
  );
  let success: PullSuccess;
  try {
    success = await pullOne(engine, ref, {
      credentials: ctx.credentials,
      retry: ctx.retry,
      stallTimeoutMs: ctx.stallTimeoutMs,
      progressIntervalMs: ctx.progressIntervalMs,
      log,
      signal: opts.signal,
      random: opts.random,
      sleep: opts.sleep,
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
      const first = !warnedFallback.has(canonical);
      warnedFallback.add(canonical);
      log[first ? 'warn' : 'info'](
        { event: 'pull-fallback', ...fields, imageId: before.id },
        `${err.message}; using the local image ${shortId(before.id)}${first ? '' : ' (still)'}`,
      );
    } else {
      row.result = 'failed';
      log.error({ event: 'pull-failed', ...fields }, err.message);
    }
    return row;
  }

  warnedFallback.delete(canonical);
  const after = await engine.inspectImage(ref);
  row.result = success.result;
  row.imageId = after?.id;
  row.image = after;
  row.durationMs = success.durationMs;
  row.bytes = success.bytes;
  if (timed) ctx.times.record(canonical, after?.id, now());
  const changed = before !== undefined && after !== undefined && before.id !== after.id;
  log.info(
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
      policy: formatPolicy(effectivePolicy(policies)),
    },
    describeSuccess(ref, success) + (changed ? ` (new image ${shortId(after!.id)}, was ${shortId(before!.id)})` : ''),
  );
  return row;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
