// Pull progress: the engine reports per layer ("Downloading 1.2MB/5MB"); this sums it per image
// and rate-limits the log lines ("pull-progress", at most one per image per interval).

import type { PullProgress } from '../engine/engine.js';
import type { Log } from '../log.js';

interface Layer {
  current: number;
  total?: number;
  done: boolean;
  cached: boolean;
}

export interface ProgressSnapshot {
  bytesDone: number;
  /** Sum of the sizes known so far (a layer's size is known once its download starts). */
  bytesTotal: number;
  layers: number;
  layersDone: number;
  /** Layers the engine already had ("Already exists"). */
  layersCached: number;
}

export class ProgressTracker {
  private readonly layers = new Map<string, Layer>();
  private lastLogAt: number;
  /** "Image is up to date": nothing new was downloaded. */
  upToDate = false;
  digest: string | undefined;

  constructor(
    readonly image: string,
    private readonly log: Log | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastLogAt = now();
  }

  /** Starts a new attempt: the engine restarts interrupted downloads from zero. */
  reset(): void {
    this.layers.clear();
    this.upToDate = false;
    this.digest = undefined;
  }

  update(p: PullProgress): void {
    const status = p.status;
    if (status.startsWith('Status: Image is up to date')) this.upToDate = true;
    if (status.startsWith('Digest: ')) this.digest = status.slice('Digest: '.length).trim();
    if (p.layer && /^[0-9a-f]{12,}$/.test(p.layer)) {
      const l = this.layers.get(p.layer) ?? { current: 0, done: false, cached: false };
      this.layers.set(p.layer, l);
      switch (status) {
        case 'Downloading':
          if (p.current !== undefined) l.current = p.current;
          if (p.total !== undefined && p.total > 0) l.total = p.total;
          break;
        case 'Verifying Checksum':
        case 'Download complete':
        case 'Extracting':
        case 'Pull complete':
          if (l.total !== undefined) l.current = l.total;
          if (status !== 'Extracting') l.done = true;
          break;
        case 'Already exists':
          l.cached = true;
          l.done = true;
          break;
      }
    }
    this.maybeLog();
  }

  snapshot(): ProgressSnapshot {
    const s: ProgressSnapshot = { bytesDone: 0, bytesTotal: 0, layers: this.layers.size, layersDone: 0, layersCached: 0 };
    for (const l of this.layers.values()) {
      if (l.cached) {
        s.layersCached++;
        s.layersDone++;
        continue;
      }
      s.bytesDone += l.current;
      s.bytesTotal += l.total ?? l.current;
      if (l.done) s.layersDone++;
    }
    return s;
  }

  private maybeLog(): void {
    const t = this.now();
    if (t - this.lastLogAt < this.intervalMs) return;
    this.lastLogAt = t;
    const s = this.snapshot();
    if (s.bytesTotal === 0) return;
    this.log?.info(
      { event: 'pull-progress', image: this.image, bytesDone: s.bytesDone, bytesTotal: s.bytesTotal, layers: s.layers, layersDone: s.layersDone },
      `pulling ${this.image}: ${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)} (${s.layersDone}/${s.layers} layers)`,
    );
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
