// `dom0 up`: background pulls of the images an apply could not pull. An image whose pull failed
// transiently while a local copy exists (offline-first fallback), or that is missing entirely, is
// retried here with backoff; when a pull brings a new image ID (or the missing image), onNewImage
// tells the loop, which runs a full apply — and that recreates per the normal plan rules.
//
// Wiring in the loop: construct once, call update(result.pulls) after each apply, stop() on stop.

import { backoffDelay } from '../backoff.js';
import type { Engine } from '../engine/engine.js';
import type { Log } from '../log.js';
import { entries, type Manifest } from '../manifest/types.js';
import { pullContext, type PullImagesOptions, type PullOutcome } from '../reconcile/pull.js';
import { PullError, pullOne } from '../registry/puller.js';
import { parseImageRef } from '../registry/reference.js';
import { pullSettings } from '../registry/settings.js';

export interface PullRetryOptions {
  engine: Engine;
  log: Log;
  /** The manifest in force: credentials, and which images are still wanted. */
  manifest: () => Manifest | undefined;
  /** A tracked image has a new ID (or arrived at all): run a full apply. */
  onNewImage: (refs: string[]) => void;
  /** Same options as apply's pulls (stateDir, env, stall timeout...). */
  pull?: PullImagesOptions;
  /** First delay, doubling per failed round up to capMs, with jitter (default 5 s → 5 min, or DOM0_PULL_BACKGROUND_BACKOFF[_MAX]). */
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

interface Tracked {
  ref: string;
  refs: string[];
  /** The local image ID when tracking started; undefined when the image was absent. */
  knownId: string | undefined;
  failures: number;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export class PullRetry {
  private readonly tracked = new Map<string, Tracked>();
  private stopped = false;
  private readonly backoff: { baseMs: number; capMs: number };

  constructor(private readonly o: PullRetryOptions) {
    const { settings } = pullSettings({ ...o.pull, background: { baseMs: o.baseMs, capMs: o.capMs } }, o.pull?.env ?? process.env);
    this.backoff = settings.background;
  }

  /** Images being retried (as written in the manifest). */
  get pending(): string[] {
    return [...this.tracked.values()].map((t) => t.ref).sort();
  }

  /**
   * Takes an apply's pull outcome: starts retrying what fell back or failed transiently, stops
   * retrying what has since been pulled (or is no longer pulled at all).
   */
  update(outcome: PullOutcome | undefined): void {
    if (!outcome || this.stopped) return;
    for (const row of outcome.images) {
      const key = parseImageRef(row.ref).canonical;
      const retry = (row.result === 'fallback' || row.result === 'failed') && row.transient === true;
      if (retry) this.track(key, row.ref, row.refs, row.result === 'fallback' ? row.imageId : undefined);
      else this.untrack(key);
    }
  }

  /** Starts retrying one image (no-op when already tracked). */
  track(key: string, ref: string, refs: string[], knownId: string | undefined): void {
    if (this.stopped || this.tracked.has(key)) return;
    const t: Tracked = { ref, refs, knownId, failures: 0, running: false };
    this.tracked.set(key, t);
    this.o.log.info(
      { event: 'pull-retry-scheduled', image: ref, localImageId: knownId },
      `will keep trying to pull ${ref} in the background${knownId ? ' (using the local image meanwhile)' : ''}`,
    );
    this.schedule(key, t);
  }

  private untrack(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    clearTimeout(t.timer);
    this.tracked.delete(key);
  }

  /** Images being retried (for the leak probe). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.tracked.values()) clearTimeout(t.timer);
    this.tracked.clear();
  }

  private schedule(key: string, t: Tracked): void {
    const delay = backoffDelay(t.failures + 1, { baseMs: this.backoff.baseMs, capMs: this.backoff.capMs, jitter: 'equal', random: this.o.random });
    t.timer = setTimeout(() => void this.attempt(key, t), delay);
    t.timer.unref?.();
  }

  private async attempt(key: string, t: Tracked): Promise<void> {
    if (this.stopped || this.tracked.get(key) !== t || t.running) return;
    const manifest = this.o.manifest();
    if (!manifest || !entries(manifest).some((e) => t.refs.includes(e.image) || parseImageRef(e.image).canonical === key)) {
      this.untrack(key); // no longer in the manifest
      return;
    }
    t.running = true;
    const { log, engine } = this.o;
    try {
      const ctx = pullContext(manifest, log, this.o.pull);
      await pullOne(engine, t.ref, {
        credentials: ctx.credentials,
        retry: { ...ctx.retry, attempts: 1 }, // the rounds here are the retries
        stallTimeoutMs: ctx.stallTimeoutMs,
        progressIntervalMs: ctx.progressIntervalMs,
        log,
      });
      // Pull times are recorded by the apply that follows (or the next one): it pulls again, quickly.
      const after = await engine.inspectImage(t.ref);
      if (this.stopped || this.tracked.get(key) !== t) return;
      this.untrack(key);
      if (after && after.id !== t.knownId) {
        log.info(
          { event: 'pull-recovered', image: t.ref, imageId: after.id, previousImageId: t.knownId, rounds: t.failures + 1 },
          `background pull of ${t.ref} succeeded: ${t.knownId ? 'new image' : 'image now present'}; re-applying`,
        );
        this.o.onNewImage(t.refs);
      } else {
        log.info({ event: 'pull-recovered', image: t.ref, imageId: after?.id, changed: false }, `background pull of ${t.ref} succeeded: the local image was already current`);
      }
    } catch (e) {
      if (this.stopped || this.tracked.get(key) !== t) return;
      t.failures++;
      const err = e instanceof PullError ? e : undefined;
      if (err && !err.transient) {
        log.warn({ event: 'pull-retry-abandoned', image: t.ref, kind: err.kind, error: err.message }, `${err.message}; no more background retries for ${t.ref}`);
        this.untrack(key);
        return;
      }
      log.debug({ event: 'pull-retry-failed', image: t.ref, round: t.failures, error: (e as Error).message }, `background pull of ${t.ref} failed (round ${t.failures})`);
      this.schedule(key, t);
    } finally {
      t.running = false;
    }
  }
}
