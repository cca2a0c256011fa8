// The restart policy's one home: the manifest's `restart:` as the container label carries it
// (formatRestart/parseRestart), whether and when dom0 restarts a dead service (decideRestart,
// used by up's supervisor), and which entries restart together with a dependency (boundTo,
// used by plan after a recreate and by the supervisor after a restart).
import { backoffDelay } from '../backoff.js';
import type { ContainerSpec, Manifest, RestartPolicy } from '../manifest/types.js';

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

/** The `io.dom0.restart` label value: "no", "always", "unless-stopped", "on-failure[:N]". */
export function formatRestart(r: RestartPolicy): string {
  return r.name === 'on-failure' && r.maxRetries !== undefined ? `on-failure:${r.maxRetries}` : r.name;
}

/** The label back into a policy; anything unknown (or no label) is "no". */
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

/**
 * Entries this one holds a live reference to, so it must restart after they are restarted or
 * recreated: links, network_mode, pid and ipc naming an entry (service:X or container:X; normalize
 * marks the dependency as held, declared in depends_on or not), and depends_on with `restart: true`.
 */
export function boundTo(spec: ContainerSpec): Set<string> {
  const out = new Set<string>(spec.links.map((l) => l.name));
  const nm = spec.networkMode;
  if (nm?.startsWith('service:')) out.add(nm.slice('service:'.length));
  for (const d of spec.dependsOn) {
    if (d.restart || d.holds) out.add(d.name);
  }
  return out;
}

/** The manifest's containers (jobs and services) bound to `name` (see boundTo). */
export function boundDependents(manifest: Manifest, name: string): Set<string> {
  return new Set([...manifest.jobs, ...manifest.services].filter((s) => boundTo(s).has(name)).map((s) => s.name));
}
