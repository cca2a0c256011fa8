// Backoff: how long to wait before retry number n, and an abortable wait. Every retry loop in
// dom0 (registry pulls, background pull rounds, the supervisor's restarts, jobs' on-failure
// runs, up's engine reconnect, down's network removal) takes its delays from here.
import { setTimeout as timersSleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Upper bound of any one delay. */
  capMs: number;
  /** Growth per retry (default 2: doubling). */
  factor?: number;
  /**
   * "none" (default): exactly the nominal delay. "equal": half the nominal delay fixed, half
   * random, so the delay stays within [nominal/2, nominal] and many hosts do not retry in step.
   */
  jitter?: 'none' | 'equal';
  /** In [0, 1]; Math.random by default (only read with jitter). */
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1 = after the first failure): nominal = min(cap,
 * base·factor^(retry-1)), jittered as asked. Retries below 1 count as 1.
 */
export function backoffDelay(retry: number, o: BackoffOptions): number {
  const nominal = Math.min(o.capMs, o.baseMs * (o.factor ?? 2) ** Math.max(0, retry - 1));
  if ((o.jitter ?? 'none') === 'none') return nominal;
  const r = Math.min(1, Math.max(0, (o.random ?? Math.random)()));
  return Math.round(nominal / 2 + (nominal / 2) * r);
}

/** Waits `ms`; rejects with an AbortError (name "AbortError") as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await timersSleep(ms, undefined, { signal });
  } catch (e) {
    if ((e as Error | undefined)?.name === 'AbortError') throw abortError();
    throw e;
  }
}

/** Like sleep, but an abort just ends the wait early (for loops that check their own stop flag). */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, signal).catch((e: unknown) => {
    if ((e as Error).name !== 'AbortError') throw e;
  });
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
