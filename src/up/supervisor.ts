// Supervision between applies: follows the engine's events and applies each service's restart
// policy itself (managed containers carry the engine policy "no"), with exponential backoff.
// Running services bound to a restarted one (links, network namespace, depends_on with
// restart: true; the rule plan uses, read from the current manifest) are restarted after it.
import type { Engine, EngineEvent } from '../engine/engine.js';
import type { Log } from '../log.js';
import { LABEL } from '../reconcile/labels.js';
import type { Manifest } from '../manifest/types.js';
import { observeContainers, type ObservedContainer } from '../reconcile/observe.js';
import { claimInManifest, inheritedFromImage, ownershipOf, type Ownership } from '../reconcile/ownership.js';
import { BACKOFF, boundDependents, decideRestart, parseRestart } from '../reconcile/restart-policy.js';

interface Track {
  startedAt?: number;
  consecutiveFailures: number;
  restartsSinceApply: number;
  stoppedByHand: boolean;
  pending?: NodeJS.Timeout;
}

/** How long after a `die` to wait for the `stop` event that marks a stop by hand. */
const STOP_GRACE_MS = 1000;

export class Supervisor {
  private paused = false;
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly engine: Engine,
    private readonly manifest: () => Manifest | undefined,
    private readonly log: Log,
    private readonly hooks: { onDestroyed: (name: string) => void; protect: ReadonlySet<string> },
  ) {}

  private track(name: string): Track {
    let t = this.tracks.get(name);
    if (!t) {
      t = { consecutiveFailures: 0, restartsSinceApply: 0, stoppedByHand: false };
      this.tracks.set(name, t);
    }
    return t;
  }

  /** For the leak probe (src/up/diagnostics.ts): entries tracked, and restart timers pending. */
  counts(): { tracked: number; pendingTimers: number } {
    let pending = 0;
    for (const t of this.tracks.values()) if (t.pending) pending++;
    return { tracked: this.tracks.size, pendingTimers: pending };
  }

  /** While an apply runs, its own stops and removals are not deaths to act on. */
  pause(): void {
    this.paused = true;
    for (const t of this.tracks.values()) {
      clearTimeout(t.pending);
      t.pending = undefined; // the sweep after the apply decides again
    }
  }

  /** After an apply: counters and stops by hand start over only after a full apply. */
  resume(fullApply: boolean): void {
    if (fullApply) this.tracks.clear();
    this.paused = false;
  }

  handle(e: EngineEvent): void {
    if (this.paused || e.type !== 'container' || this.hooks.protect.has(e.id)) return;
    // Event attributes carry the container's labels and name: only what dom0 really owns is
    // supervised (its image's labels are checked before a restart).
    const container = { name: e.attributes.name ?? '', labels: e.attributes };
    const owner = this.supervised({ ...container, owner: ownershipOf(container, undefined) });
    if (!owner) return;
    const { name, kind } = owner;
    if (kind !== 'service') {
      if (e.action === 'destroy') this.hooks.onDestroyed(name);
      return;
    }
    const t = this.track(name);
    switch (e.action) {
      case 'start':
        t.startedAt = Date.now();
        t.stoppedByHand = false;
        return;
      case 'stop':
        t.stoppedByHand = true;
        return;
      case 'destroy':
        clearTimeout(t.pending);
        this.hooks.onDestroyed(name);
        return;
      case 'die': {
        const ran = t.startedAt !== undefined ? Date.now() - t.startedAt : 0;
        if (ran >= BACKOFF.resetAfterMs) t.consecutiveFailures = 0;
        const exitCode = Number(e.attributes.exitCode ?? '0');
        clearTimeout(t.pending);
        const diedAt = Date.now();
        t.pending = setTimeout(() => void this.onDeath(e.id, name, exitCode, e.attributes[LABEL.restart], diedAt), STOP_GRACE_MS);
        return;
      }
    }
  }

  /** This manifest's container for one of its entries (legacy containers of its entries too). */
  private supervised(c: { name: string; owner?: Ownership }): Ownership | undefined {
    const m = this.manifest();
    const claim = m ? claimInManifest(c, m) : undefined;
    return claim === 'ours' || claim === 'legacy' ? c.owner : undefined;
  }

  /** Restarts what died while dom0 was not listening (during an apply, or before it started). */
  async sweep(): Promise<void> {
    for (const c of await observeContainers(this.engine)) {
      const owner = this.supervised(c);
      if (!owner || owner.kind !== 'service' || this.hooks.protect.has(c.id)) continue;
      if (c.state !== 'exited' && c.state !== 'dead') continue;
      const t = this.track(owner.name);
      if (t.pending || t.stoppedByHand) continue;
      await this.onDeath(c.id, owner.name, c.exitCode ?? 0, c.labels[LABEL.restart], Number.POSITIVE_INFINITY, true);
    }
  }

  private async onDeath(
    id: string,
    name: string,
    exitCode: number,
    restartLabel: string | undefined,
    diedAt = Number.POSITIVE_INFINITY,
    fromSweep = false,
  ): Promise<void> {
    const t = this.track(name);
    t.pending = undefined;
    if (this.paused || (t.startedAt !== undefined && t.startedAt > diedAt)) return; // already running again
    const policy = parseRestart(restartLabel);
    const d = decideRestart(policy, {
      exitCode,
      stoppedByHand: t.stoppedByHand,
      consecutiveFailures: t.consecutiveFailures,
      restartsSinceApply: t.restartsSinceApply,
    });
    if (!d.restart) {
      // A sweep meets the same stopped services after every apply: say it once, on the death itself.
      this.log[fromSweep ? 'debug' : 'info']({ event: 'no-restart', entry: name, exitCode, reason: d.why }, `${name} exited ${exitCode}: not restarted (${d.why})`);
      return;
    }
    this.log.warn(
      { event: 'restart', entry: name, exitCode, delayMs: d.delayMs, policy: restartLabel ?? 'no' },
      `${name} exited ${exitCode}: restarting in ${d.delayMs} ms (restart: ${restartLabel})`,
    );
    t.pending = setTimeout(() => void this.restart(id, name), d.delayMs);
  }

  private async restart(id: string, name: string): Promise<void> {
    const t = this.track(name);
    t.pending = undefined;
    if (this.paused) return;
    try {
      const c = await this.engine.inspectContainer(id);
      if (!c || c.state === 'running') return;
      // Labels a committed image handed down are not dom0's: such a container is not restarted.
      if (inheritedFromImage(c.labels, (await this.engine.inspectImage(c.imageId))?.labels)) return;
      t.consecutiveFailures++;
      t.restartsSinceApply++;
      await this.engine.startContainer(id);
      this.log.info({ event: 'restarted', entry: name, restartsSinceApply: t.restartsSinceApply }, `${name} restarted`);
      await this.restartBoundDependents(name);
    } catch (e) {
      this.log.error({ event: 'restart-failed', entry: name, error: (e as Error).message }, `restart of ${name} failed`);
    }
  }

  private async restartBoundDependents(name: string): Promise<void> {
    const m = this.manifest();
    const dependents = m ? boundDependents(m, name) : new Set<string>();
    if (dependents.size === 0) return;
    const bound = (c: ObservedContainer): boolean => {
      const owner = this.supervised(c);
      return !!owner && owner.kind === 'service' && c.state === 'running' && dependents.has(owner.name);
    };
    for (const c of (await observeContainers(this.engine)).filter(bound)) {
      this.log.info({ event: 'restart', entry: c.labels[LABEL.name], reason: `bound to ${name}, which was restarted` }, `restarting ${c.name}`);
      await this.engine.restartContainer(c.id);
    }
  }
}
