// Pull tuning: defaults, overridable from the environment (for hosts and tests) and from code
// (ApplyOptions / CLI flags), in that order of precedence: code > environment > default.
//
//   DOM0_PULL_CONCURRENCY        distinct images pulled at once (default 4)
//   DOM0_PULL_ATTEMPTS           attempts per image for transient failures (default 4)
//   DOM0_PULL_BACKOFF            delay before the first retry, doubling (default 1s)
//   DOM0_PULL_BACKOFF_MAX        cap of one delay (default 30s)
//   DOM0_PULL_STALL_TIMEOUT      abort and retry a pull with no progress for this long (default 60s; 0 = never)
//   DOM0_PULL_PROGRESS_INTERVAL  at most one pull-progress line per image this often (default 5s)
//   DOM0_PULL_BACKGROUND_BACKOFF      `dom0 up`: first delay of background re-pulls after a failed pull (default 5s)
//   DOM0_PULL_BACKGROUND_BACKOFF_MAX  `dom0 up`: cap of that delay (default 5m)

import { parseDuration } from '../manifest/durations.js';
import { DEFAULT_RETRY, DEFAULT_STALL_TIMEOUT_MS, type RetryPolicy } from './retry.js';

export const DEFAULT_PULL_CONCURRENCY = 4;
export const DEFAULT_PROGRESS_INTERVAL_MS = 5000;
export const DEFAULT_BACKGROUND_BASE_MS = 5000;
export const DEFAULT_BACKGROUND_CAP_MS = 5 * 60_000;

export interface PullSettings {
  concurrency: number;
  retry: RetryPolicy;
  stallTimeoutMs: number;
  progressIntervalMs: number;
  /** `dom0 up`: background re-pulls of images that could not be pulled. */
  background: { baseMs: number; capMs: number };
}

export interface PullSettingsOverrides {
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  stallTimeoutMs?: number;
  progressIntervalMs?: number;
  background?: Partial<PullSettings['background']>;
}

function durationEnv(env: NodeJS.ProcessEnv, name: string, problems: string[]): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const d = parseDuration(v);
  if (d.ok && d.value >= 0) return d.value;
  problems.push(`${name}=${JSON.stringify(v)} ignored: ${d.ok ? 'must not be negative' : d.error}`);
  return undefined;
}

function countEnv(env: NodeJS.ProcessEnv, name: string, problems: string[]): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (Number.isInteger(n) && n >= 1) return n;
  problems.push(`${name}=${JSON.stringify(v)} ignored: expected a whole number ≥ 1`);
  return undefined;
}

/** Settings for one apply; `problems` lists environment values that were ignored. */
export function pullSettings(overrides: PullSettingsOverrides = {}, env: NodeJS.ProcessEnv = process.env): { settings: PullSettings; problems: string[] } {
  const problems: string[] = [];
  const pick = <T>(...vs: Array<T | undefined>): T => vs.find((v) => v !== undefined) as T;
  const settings: PullSettings = {
    concurrency: Math.max(1, pick(overrides.concurrency, countEnv(env, 'DOM0_PULL_CONCURRENCY', problems), DEFAULT_PULL_CONCURRENCY)),
    retry: {
      attempts: Math.max(1, pick(overrides.retry?.attempts, countEnv(env, 'DOM0_PULL_ATTEMPTS', problems), DEFAULT_RETRY.attempts)),
      baseMs: pick(overrides.retry?.baseMs, durationEnv(env, 'DOM0_PULL_BACKOFF', problems), DEFAULT_RETRY.baseMs),
      capMs: pick(overrides.retry?.capMs, durationEnv(env, 'DOM0_PULL_BACKOFF_MAX', problems), DEFAULT_RETRY.capMs),
    },
    stallTimeoutMs: pick(overrides.stallTimeoutMs, durationEnv(env, 'DOM0_PULL_STALL_TIMEOUT', problems), DEFAULT_STALL_TIMEOUT_MS),
    progressIntervalMs: pick(overrides.progressIntervalMs, durationEnv(env, 'DOM0_PULL_PROGRESS_INTERVAL', problems), DEFAULT_PROGRESS_INTERVAL_MS),
    background: {
      baseMs: pick(overrides.background?.baseMs, durationEnv(env, 'DOM0_PULL_BACKGROUND_BACKOFF', problems), DEFAULT_BACKGROUND_BASE_MS),
      capMs: pick(overrides.background?.capMs, durationEnv(env, 'DOM0_PULL_BACKGROUND_BACKOFF_MAX', problems), DEFAULT_BACKGROUND_CAP_MS),
    },
  };
  if (settings.retry.capMs < settings.retry.baseMs) settings.retry.capMs = settings.retry.baseMs;
  settings.background.baseMs = Math.max(100, settings.background.baseMs);
  if (settings.background.capMs < settings.background.baseMs) settings.background.capMs = settings.background.baseMs;
  return { settings, problems };
}
