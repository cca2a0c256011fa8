// pull_policy: when an image is pulled. Entries sharing an image are pulled once, under the most
// eager of their policies (always > every_<d> (shortest first) > missing > never).

import type { PullPolicy } from '../manifest/types.js';

export type PullDecision =
  | { action: 'pull'; reason: string }
  | { action: 'skip'; reason: string }
  | { action: 'fail'; reason: string };

export interface PullDecisionInput {
  ref: string;
  policies: readonly PullPolicy[];
  present: boolean;
  /** Pinned by digest: its content never changes, so it is pulled only when absent. */
  digestPinned: boolean;
  /** Last successful pull of this image (epoch ms), from the state dir; undefined = unknown. */
  lastPulledAt?: number;
  now: number;
}

/** The most eager of several policies. */
export function effectivePolicy(policies: readonly PullPolicy[]): PullPolicy {
  let every: number | undefined;
  let missing = false;
  for (const p of policies) {
    if (p === 'always') return 'always';
    if (typeof p === 'object') every = every === undefined ? p.everyMs : Math.min(every, p.everyMs);
    else if (p !== 'never') missing = true; // "missing", and "build" (rejected by the schema) as missing
  }
  if (every !== undefined) return { everyMs: every };
  return missing || policies.length === 0 ? 'missing' : 'never';
}

/** A tag pulled longer ago than everyMs — or never recorded — is stale. */
export function isStale(lastPulledAt: number | undefined, everyMs: number, now: number): boolean {
  return lastPulledAt === undefined || now - lastPulledAt >= everyMs;
}

export function formatPolicy(p: PullPolicy): string {
  if (typeof p !== 'object') return p;
  return `every_${formatInterval(p.everyMs)}`;
}

export function formatInterval(ms: number): string {
  const units: Array<[string, number]> = [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

/** "2d3h", "5m10s", "3s": the two largest units. */
export function humanDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [u, n] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n || (u === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
    if (parts.length === 2) break;
  }
  return parts.join('');
}

export function decidePull(i: PullDecisionInput): PullDecision {
  const policy = effectivePolicy(i.policies);
  if (!i.present) {
    if (policy === 'never') return { action: 'fail', reason: `image ${i.ref} is not present locally and pull_policy is never: pull or load it first` };
    return { action: 'pull', reason: 'not present locally' };
  }
  if (i.digestPinned) return { action: 'skip', reason: 'pinned by digest and present' };
  if (policy === 'always') return { action: 'pull', reason: 'pull_policy always' };
  if (typeof policy === 'object') {
    if (i.lastPulledAt === undefined) return { action: 'pull', reason: `pull_policy ${formatPolicy(policy)}: no recorded pull` };
    if (isStale(i.lastPulledAt, policy.everyMs, i.now)) {
      return { action: 'pull', reason: `pull_policy ${formatPolicy(policy)}: last pulled ${humanDuration(i.now - i.lastPulledAt)} ago` };
    }
    return { action: 'skip', reason: `pull_policy ${formatPolicy(policy)}: pulled recently` };
  }
  return { action: 'skip', reason: `present locally (pull_policy ${policy})` };
}
