// One image pull, done robustly: credentials for its registry, stall detection, retries with
// backoff for transient failures, progress lines, and an error message that says what is wrong —
// naming the registry and the user, never a secret.

import type { Engine } from '../engine/engine.js';
import type { Log } from '../log.js';
import { scrub } from '../redact.js';
import { type Credentials, describeCredential, toRegistryAuth } from './credentials.js';
import { formatBytes, ProgressTracker } from './progress.js';
import { classifyPullError, type PullFailureKind, RetriesExhausted, type RetryPolicy, withRetry } from './retry.js';

export interface PullOneOptions {
  credentials: Credentials;
  retry: RetryPolicy;
  stallTimeoutMs: number;
  progressIntervalMs: number;
  log?: Log;
  signal?: AbortSignal;
  /** The entries' `platform` (`os[/arch[/variant]]`), sent with the pull. */
  platform?: string;
  /** Tests: deterministic jitter and no real waiting. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PullSuccess {
  /** "pulled": new content arrived; "up-to-date": the registry had nothing newer. */
  result: 'pulled' | 'up-to-date';
  bytes: number;
  layers: number;
  layersCached: number;
  durationMs: number;
  attempts: number;
}

/** A pull that failed for good; `message` is safe to show (scrubbed, no secrets). */
export class PullError extends Error {
  override readonly name = 'PullError';
  constructor(
    readonly kind: PullFailureKind,
    message: string,
    readonly attempts: number,
  ) {
    super(scrub(message));
  }

  /** Worth trying again later (registry down, network trouble). */
  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** The engine's own words, without the HTTP plumbing dockerode prepends, scrubbed. */
export function engineDetail(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return scrub(m.replace(/^\(HTTP code \d+\) [^-]*- /, '').replace(/^pull of \S+?(?: failed)?:? /, '').trim());
}

/** The message for a permanent failure: what is wrong and what to do about it. */
export function pullFailureMessage(ref: string, kind: PullFailureKind, e: unknown, creds: Credentials, attempts: number): string {
  const detail = engineDetail(e);
  const { host, credential, helperProblem } = creds.forImage(ref);
  switch (kind) {
    case 'auth':
      if (credential) {
        return `pull of ${ref} failed: registry ${host} refused the credentials of ${describeCredential(credential)}: check the username and password, and that this user may pull the repository (${detail})`;
      }
      return (
        `pull of ${ref} failed: registry ${host} refused an anonymous pull — the image does not exist or needs credentials, and none are configured for ${host}: ` +
        `add it under \`registries:\` in the manifest or run \`docker login ${host}\`` +
        (helperProblem ? ` (the credential helper config.json names for it gave none: ${helperProblem})` : '') +
        ` (${detail})`
      );
    case 'not-found':
      return `pull of ${ref} failed: image not found on ${host} — unknown repository or tag (${detail})`;
    case 'transient':
      return `pull of ${ref} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: registry ${host} unreachable or failing (${detail})`;
    default:
      return `pull of ${ref} failed: ${detail}`;
  }
}

export async function pullOne(engine: Engine, ref: string, o: PullOneOptions): Promise<PullSuccess> {
  const started = Date.now();
  const tracker = new ProgressTracker(ref, o.log, o.progressIntervalMs);
  const { credential, host } = o.credentials.forImage(ref);
  const auth = credential ? toRegistryAuth(credential, host) : undefined;
  let attempts = 0;
  try {
    await withRetry(
      async (attempt) => {
        attempts = attempt;
        tracker.reset();
        await engine.pullImage(ref, {
          auth,
          stallTimeoutMs: o.stallTimeoutMs,
          signal: o.signal,
          onProgress: (p) => tracker.update(p),
          ...(o.platform ? { platform: o.platform } : {}),
        });
      },
      o.retry,
      classifyPullError,
      {
        signal: o.signal,
        random: o.random,
        sleep: o.sleep,
        onRetry: ({ attempt, delayMs, error }) => {
          o.log?.warn(
            { event: 'pull-retry', image: ref, registry: host, attempt, attempts: o.retry.attempts, retryInMs: delayMs, error: engineDetail(error) },
            `pull of ${ref}: attempt ${attempt}/${o.retry.attempts} failed (${engineDetail(error)}); retrying in ${(delayMs / 1000).toFixed(1)}s`,
          );
        },
      },
    );
  } catch (e) {
    const last = e instanceof RetriesExhausted ? e.last : e;
    const kind = e instanceof RetriesExhausted ? 'transient' : classifyPullError(e);
    throw new PullError(kind, pullFailureMessage(ref, kind, last, o.credentials, attempts), attempts);
  }
  const s = tracker.snapshot();
  return {
    result: tracker.upToDate ? 'up-to-date' : 'pulled',
    bytes: s.bytesTotal,
    layers: s.layers,
    layersCached: s.layersCached,
    durationMs: Date.now() - started,
    attempts,
  };
}

export function describeSuccess(ref: string, r: PullSuccess): string {
  if (r.result === 'up-to-date') return `${ref} is up to date (nothing to download, ${(r.durationMs / 1000).toFixed(1)}s)`;
  const cached = r.layersCached ? `, ${r.layersCached} of ${r.layers} layers already present` : '';
  const tries = r.attempts > 1 ? ` after ${r.attempts} attempts` : '';
  return `pulled ${ref}: ${formatBytes(r.bytes)} in ${(r.durationMs / 1000).toFixed(1)}s${cached}${tries}`;
}
