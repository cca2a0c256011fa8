// The readiness window of one applied manifest under `dom0 up`: which services it is judged on,
// the deaths of their containers seen on the engine's event stream since the apply, and when it is
// time to judge (src/up/rollback.ts decides; the loop observes and rolls back).
import type { Engine, EngineEvent, EventStream } from '../engine/engine.js';
import { placeManifest } from '../reconcile/host-facts.js';
import { LABEL } from '../reconcile/labels.js';
import type { Manifest } from '../manifest/types.js';
import { status } from '../reconcile/status.js';
import { CRASH_LOOP_DEATHS, type Observation } from './rollback.js';

export class ReadinessWatch {
  readonly deaths = new Map<string, number>();
  /** When each service's container last died (ms since the epoch). */
  readonly lastDeathAt = new Map<string, number>();
  /** When the apply finished (set by begin()); deaths before it are the apply's own stops. */
  startedAt = Number.POSITIVE_INFINITY;
  private readonly byContainer: Map<string, string>;
  private stream: EventStream | undefined;
  private closed = false;
  /** Whether the apply converged: only a manifest that fully applied can become last-healthy. */
  converged = false;

  constructor(
    /** sha256 of the manifest's bytes. */
    readonly hash: string,
    readonly bytes: Buffer,
    /** The fleet as it was before this change (inherited by a change made during the window). */
    readonly before: ReadonlyMap<string, Observation>,
    readonly watched: readonly string[],
    readonly deadlineMs: number,
    manifest: Manifest,
  ) {
    const w = new Set(watched);
    this.byContainer = new Map(manifest.services.filter((s) => w.has(s.name)).map((s) => [s.containerName, s.name]));
  }

  /**
   * Follows the engine's events from before the apply (the API has no "since"), so no death right
   * after it is missed. Without a stream only the deadline judges.
   */
  async follow(engine: Engine): Promise<void> {
    try {
      const stream = await engine.events({ label: LABEL.fleet });
      if (this.closed) return stream.close();
      this.stream = stream;
      stream.on((e) => this.onEvent(e));
    } catch {
      // engine unreachable: the deadline's observation still judges
    }
  }

  /** The apply finished: the window starts now. */
  begin(converged: boolean, now = Date.now()): void {
    this.startedAt = now;
    this.converged = converged;
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
    this.stream = undefined;
  }

  /** The engine's events: a `die` of a watched service's container after the apply counts. */
  onEvent(e: EngineEvent): void {
    if (e.type !== 'container' || e.action !== 'die') return;
    const at = e.timeNano ? e.timeNano / 1e6 : Date.now();
    if (at < this.startedAt) return;
    const service = this.byContainer.get(e.attributes.name ?? '');
    if (!service) return;
    this.deaths.set(service, (this.deaths.get(service) ?? 0) + 1);
    this.lastDeathAt.set(service, Math.max(at, this.lastDeathAt.get(service) ?? 0));
  }

  /** Per service that died: ms from its last death to `now`. */
  sinceLastDeath(now = Date.now()): Map<string, number> {
    return new Map([...this.lastDeathAt].map(([s, at]) => [s, Math.max(0, now - at)]));
  }

  /** Time to judge: the deadline passed, or a watched service is crash-looping. */
  due(now = Date.now()): boolean {
    return now - this.startedAt >= this.deadlineMs || [...this.deaths.values()].some((n) => n >= CRASH_LOOP_DEATHS);
  }
}

/**
 * Each service of `manifest` placed on this host (status places it as apply does) as its container
 * is now (by container name; "missing" without one). Entries placed on other hosts are not judged here.
 */
export async function observeServices(engine: Engine, manifest: Manifest): Promise<Map<string, Observation>> {
  const rows = await status(manifest, engine);
  const out = new Map<string, Observation>();
  for (const r of rows) {
    if (r.kind !== 'service' || r.sync === 'orphan') continue;
    out.set(r.name, {
      state: r.state === '-' ? 'missing' : r.state,
      ...(r.health ? { health: r.health } : {}),
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    });
  }
  return out;
}

/** The names of the services of `manifest` placed on this host. */
export async function servicesHere(engine: Engine, manifest: Manifest): Promise<string[]> {
  const placed = await placeManifest(manifest, engine);
  return (placed?.manifest ?? manifest).services.map((s) => s.name);
}

export const shortHash = (h: string): string => h.slice(0, 12);
