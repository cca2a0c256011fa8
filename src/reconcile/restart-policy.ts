// Whether and when a dead service is restarted: the manifest's `restart:`, applied by dom0.
import { backoffDelay } from '../backoff.js';
import type { RestartPolicy } from '../manifest/types.js';

export interface DeathRecord {
  exitCode: number;
  /** `docker stop` (or an API stop) by someone other than dom0. */
  stoppedByHand: boolean;
  /** Deaths in a row after short runs: drives the backoff (reset after a long enough run). */
  consecutiveFailures: number;
  /** Restarts dom0 made since the last apply: what on-failure:N counts. */
  restartsSinceApply: number;
}

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; why: string };

export const BACKOFF = { baseMs: 500, capMs: 30_000, resetAfterMs: 10_000 } as const;

export function parseRestart(label: string | undefined): RestartPolicy {
  if (!label || label === 'no') return { name: 'no' };
  if (label === 'always' || label === 'unless-stopped') return { name: label };
  const m = /^on-failure(?::(\d+))?$/.exec(label);
  if (m) return m[1] !== undefined ? { name: 'on-failure', maxRetries: Number(m[1]) } : { name: 'on-failure' };
  return { name: 'no' };
}

export function decideRestart(policy: RestartPolicy, death: DeathRecord): RestartDecision {
  const delayMs = backoffDelay(death.consecutiveFailures + 1, BACKOFF);
  switch (policy.name) {
    case 'no':
      return { restart: false, why: 'restart policy is "no"' };
    case 'always':
    case 'unless-stopped':
      if (death.stoppedByHand) return { restart: false, why: 'stopped by hand; stays stopped until the next apply' };
      return { restart: true, delayMs };
    case 'on-failure':
      if (death.stoppedByHand) return { restart: false, why: 'stopped by hand; stays stopped until the next apply' };
      if (death.exitCode === 0) return { restart: false, why: 'exited 0 and the policy is on-failure' };
      if (policy.maxRetries !== undefined && death.restartsSinceApply >= policy.maxRetries) {
        return { restart: false, why: `gave up after ${policy.maxRetries} restarts (on-failure:${policy.maxRetries})` };
      }
      return { restart: true, delayMs };
  }
}
