// Rollback on failed readiness: the pure judgement. After `dom0 up` applies a manifest with new
// content, the services it watches must be ready at the deadline; a service that crash-loops
// fails it earlier. The loop (src/up/loop.ts, through src/up/rollback-watch.ts) observes; this
// file only decides.
//
// Definitions (docs/farm.md, "Rollback"):
// - ready: the container is running, and healthy if it has a healthcheck ("starting" is not ready).
// - watched: the services of the new manifest that were ready before the change, and the services
//   it adds (no container before). A service that was already down before is not watched: going
//   back would not bring it up. Jobs are never watched (they are meant to exit).
// - crash-looping: the service's container died CRASH_LOOP_DEATHS times or more since the apply.
// - settled: a service that died in the window must have stayed up since its last death for
//   stableMs (the restart policy's "long enough run", capped at half the window); running at the
//   deadline between two deaths of a crash loop is not ready.
// - verdict: rollback at once on a crash loop; at the deadline, rollback when a watched service is
//   not ready or not settled; otherwise ok (the manifest is promoted to last-healthy).

import { BACKOFF } from '../reconcile/restart-policy.js';

export interface Observation {
  /** Container state ("running", "exited", …), or "missing" when there is no container. */
  state: string;
  health?: string;
  exitCode?: number;
}

export interface Failure {
  service: string;
  /** e.g. "exited (1)", "running (unhealthy)", "missing". */
  state: string;
  why: string;
}

export type Verdict = { verdict: 'wait' } | { verdict: 'ok'; watched: string[] } | { verdict: 'rollback'; failures: Failure[] };

/** Deaths since the apply that make a service crash-looping, before the deadline too. */
export const CRASH_LOOP_DEATHS = 3;

/** The default watch window (`--rollback-after`, DOM0_ROLLBACK_AFTER). */
export const DEFAULT_ROLLBACK_AFTER_MS = 120_000;

export function isReady(o: Observation | undefined): boolean {
  return !!o && o.state === 'running' && (o.health === undefined || o.health === 'healthy');
}

export function describeState(o: Observation | undefined): string {
  if (!o || o.state === 'missing' || o.state === '-') return 'missing';
  if (o.state === 'running') return o.health && o.health !== 'healthy' ? `running (${o.health})` : 'running';
  return o.exitCode !== undefined && o.state === 'exited' ? `exited (${o.exitCode})` : o.state;
}

/**
 * The services a change is judged on: of `services` (the new manifest's), those ready in `before`
 * and those with no container in `before` (added by the change).
 */
export function watchedServices(before: ReadonlyMap<string, Observation>, services: readonly string[]): string[] {
  return services.filter((s) => {
    const b = before.get(s);
    return !b || b.state === 'missing' || b.state === '-' || isReady(b);
  });
}

export interface ReadinessInput {
  watched: readonly string[];
  /** Current observations of the watched services; required once the deadline has passed. */
  now?: ReadonlyMap<string, Observation>;
  /** Deaths of each service's container since the apply finished. */
  deaths: ReadonlyMap<string, number>;
  /** Per service that died in the window: ms from its last death to now. */
  sinceLastDeathMs?: ReadonlyMap<string, number>;
  /** How long a service that died must have stayed up since (default: stableAfterMs(deadlineMs)). */
  stableMs?: number;
  elapsedMs: number;
  deadlineMs: number;
  crashLoopDeaths?: number;
}

export function judgeReadiness(i: ReadinessInput): Verdict {
  const limit = i.crashLoopDeaths ?? CRASH_LOOP_DEATHS;
  const looping = i.watched.filter((s) => (i.deaths.get(s) ?? 0) >= limit);
  if (looping.length) {
    return {
      verdict: 'rollback',
      failures: looping.map((s) => ({ service: s, state: describeState(i.now?.get(s)), why: `crash-looping: died ${i.deaths.get(s)} times since the apply` })),
    };
  }
  if (i.elapsedMs < i.deadlineMs) return { verdict: 'wait' };
  if (!i.now) throw new Error('judgeReadiness: observations are needed at the deadline');
  const stableMs = i.stableMs ?? stableAfterMs(i.deadlineMs);
  const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const failures: Failure[] = [];
  for (const s of i.watched) {
    const o = i.now.get(s);
    const deaths = i.deaths.get(s) ?? 0;
    const times = `died ${deaths} time${deaths > 1 ? 's' : ''}`;
    const since = i.sinceLastDeathMs?.get(s);
    if (!isReady(o)) {
      const after = `not ready ${secs(i.deadlineMs)} after the apply`;
      failures.push({ service: s, state: describeState(o), why: deaths ? `${after} (${times})` : after });
    } else if (deaths > 0 && since !== undefined && since < stableMs) {
      failures.push({ service: s, state: describeState(o), why: `not settled: ${times}, the last ${secs(since)} ago (needs ${secs(stableMs)} up)` });
    }
  }
  return failures.length ? { verdict: 'rollback', failures } : { verdict: 'ok', watched: [...i.watched] };
}

/** The restart policy's "long enough run" (BACKOFF.resetAfterMs), at most half the window. */
export function stableAfterMs(deadlineMs: number): number {
  return Math.min(BACKOFF.resetAfterMs, deadlineMs / 2);
}

/** `--rollback-after` / DOM0_ROLLBACK_AFTER: "off" or "0" disables (0 ms); else a duration. */
export function parseRollbackAfter(v: string, parseDurationMs: (v: string) => number): number {
  const s = v.trim().toLowerCase();
  if (s === 'off' || s === '0' || s === 'false' || s === 'no') return 0;
  return parseDurationMs(v);
}
