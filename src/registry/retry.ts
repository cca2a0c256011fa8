// Which pull failures are worth retrying, and how long to wait between attempts.
//
// Transient: the registry or the network may recover (connection refused/reset, DNS, timeouts,
// 5xx, 429, a stalled stream). Permanent: 401/403 (credentials), 404 (unknown image or tag) and
// anything else the engine rejects — retrying those only delays the error the user must fix.

import { backoffDelay, sleep } from '../backoff.js';
import { isEngineError } from '../engine/errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first one included (≥ 1). */
  attempts: number;
  /** Delay before the first retry; doubles each time. */
  baseMs: number;
  /** Upper bound of any one delay. */
  capMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 4, baseMs: 1000, capMs: 30_000 };
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export type PullFailureKind = 'transient' | 'auth' | 'not-found' | 'fatal';

const AUTH = /unauthori[sz]ed|authentication required|no basic auth credentials|access (to the resource )?is denied|access denied|denied:|incorrect username or password|\b401\b|\b403\b|forbidden/i;
const NOT_FOUND = /manifest unknown|not found|name unknown|repository does not exist|no such image|\b404\b/i;
const TRANSIENT =
  /connection refused|connection reset|broken pipe|\beof\b|no such host|temporary failure|network is unreachable|no route to host|i\/o timeout|timeout|timed out|tls handshake|toomanyrequests|too many requests|\b429\b|service unavailable|bad gateway|gateway time-?out|internal server error|\b50[0-9]\b|stalled/i;

/** Classifies a pull error (an EngineError from the adapter, or anything thrown). */
export function classifyPullError(e: unknown): PullFailureKind {
  const message = e instanceof Error ? e.message : String(e);
  // Docker Hub says "pull access denied … repository does not exist or may require 'docker login'"
  // for both unknown images and missing credentials: not retryable either way.
  if (isEngineError(e)) {
    if (e.kind === 'auth') return 'auth';
    if (e.kind === 'not-found') return AUTH.test(message) ? 'auth' : 'not-found';
    if (e.kind === 'stalled' || e.kind === 'timeout' || e.kind === 'unreachable') return 'transient';
    if (e.kind === 'invalid' || e.kind === 'conflict') return 'fatal';
  }
  if (AUTH.test(message)) return 'auth';
  if (NOT_FOUND.test(message)) return 'not-found';
  if (isEngineError(e, 'server') || TRANSIENT.test(message)) return 'transient';
  const code = (e as { code?: string } | undefined)?.code;
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) return 'transient';
  return 'fatal';
}

/** The pull retry delay: exponential with equal jitter, within [nominal/2, nominal] (src/backoff.ts). */
export function backoffMs(retry: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  return backoffDelay(retry, { baseMs: policy.baseMs, capMs: policy.capMs, jitter: 'equal', random });
}

export interface RetryHooks {
  /** Called before waiting for retry number `retry`. */
  onRetry?: (info: { attempt: number; retry: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RetriesExhausted extends Error {
  override readonly name = 'RetriesExhausted';
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(last instanceof Error ? last.message : String(last));
  }
}

/**
 * Runs fn until it succeeds, fails permanently (rethrown as is), or has failed transiently
 * `attempts` times (RetriesExhausted, carrying the last error).
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  classify: (e: unknown) => PullFailureKind,
  hooks: RetryHooks = {},
): Promise<T> {
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (hooks.signal?.aborted) throw e;
      if (classify(e) !== 'transient') throw e;
      if (attempt >= attempts) throw new RetriesExhausted(attempt, e);
      const delayMs = backoffMs(attempt, policy, hooks.random);
      hooks.onRetry?.({ attempt, retry: attempt, delayMs, error: e });
      await (hooks.sleep ?? sleep)(delayMs, hooks.signal);
    }
  }
}
