// Watches the manifest for edits: fs.watch on its directory (sees editors that write a new file
// and rename it over the old one) plus a poll of the content (sees what fs.watch misses, such as
// a bind-mounted file replaced on the host). Fires once per distinct content, debounced just long
// enough to let an editor finish its write-and-rename (microseconds apart; 50 ms is ample): the
// debounce is most of the time from a save to the apply starting, and the edit-latency benchmark
// (bench/edit-latency.mjs, target p95 ≤ 1 s to the new container running) counts every ms of it.
// A write caught half-done only reads as an invalid manifest (nothing changes) and its
// completion fires again.
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { sha256 } from './state-dir.js';

export const DEBOUNCE_MS = 50;

export interface ManifestWatchOptions {
  debounceMs?: number;
  pollMs?: number;
}

export class ManifestWatch {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastHash: string | undefined;

  constructor(
    private readonly file: string,
    private readonly onChange: () => void,
    private readonly opts: ManifestWatchOptions = {},
  ) {}

  /** `initialHash`: the content already applied, so that an unchanged file fires nothing. */
  start(initialHash: string | undefined): void {
    this.lastHash = initialHash;
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), (_event, f) => {
        if (!f || f === name || f.startsWith(`.${name}`) || f.endsWith('~')) this.kick();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // the directory may not exist yet: the poll covers it
    }
    this.poll = setInterval(() => this.kick(), this.opts.pollMs ?? 1000);
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  private kick(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      const h = currentHash(this.file);
      if (h === this.lastHash) return;
      this.lastHash = h;
      this.onChange();
    }, this.opts.debounceMs ?? DEBOUNCE_MS);
  }
}

/** sha256 of the file's content, or "missing". */
export function currentHash(file: string): string {
  try {
    return sha256(readFileSync(file));
  } catch {
    return 'missing';
  }
}
