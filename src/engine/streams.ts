// The engine's streams, read: a pull's progress (with the stall watch that aborts a frozen pull),
// the events feed, and a container's multiplexed log output. dockerode hands them over as
// Readables; nothing here talks to the engine itself.
import type { Readable } from 'node:stream';
import type { EngineEvent, EventStream, PullOptions } from './engine.js';
import { EngineError, normalizeError, pullStreamError } from './errors.js';
import { onJsonLines } from './ndjson.js';

/** Aborts a pull that makes no progress for `timeoutMs` (0 = never); `error` says it did. */
export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  error: EngineError | undefined;
  onStall: ((e: EngineError) => void) | undefined;

  constructor(
    private readonly ref: string,
    private readonly timeoutMs: number,
    private readonly abort: AbortController,
  ) {}

  arm(): void {
    if (!this.timeoutMs || this.error) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.error = new EngineError('stalled', `pull of ${this.ref} stalled: no progress for ${formatSeconds(this.timeoutMs)}`);
      this.abort.abort();
      this.onStall?.(this.error);
    }, this.timeoutMs);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Reads a pull's progress stream to its end; an `error` inside the stream is an error. */
export function followPull(ref: string, stream: Readable, opts: PullOptions, watch: StallWatch): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      watch.clear();
      stream.destroy();
      reject(e);
    };
    watch.onStall = fail;
    watch.arm();
    type PullMessage = { status?: string; id?: string; error?: string; errorDetail?: { message?: string }; progressDetail?: { current?: number; total?: number } };
    stream.on('data', () => watch.arm());
    onJsonLines<PullMessage>(stream, (msg) => {
      if (failed) return;
      if (msg.error || msg.errorDetail?.message) {
        fail(pullStreamError(ref, msg.errorDetail?.message ?? msg.error ?? 'pull failed'));
        return;
      }
      opts.onProgress?.({
        image: ref,
        status: msg.status ?? '',
        layer: msg.id,
        current: msg.progressDetail?.current,
        total: msg.progressDetail?.total,
      });
    });
    stream.on('error', (e) => fail(watch.error ?? normalizeError(e, ref)));
    stream.on('close', () => {
      // Closed without an end: the engine went away mid-pull (or we aborted it).
      if (!failed) setImmediate(() => fail(watch.error ?? new EngineError('unreachable', `pull of ${ref}: the connection to the Docker engine closed before the pull finished`)));
    });
    stream.on('end', () => {
      watch.clear();
      if (!failed) {
        failed = true;
        resolve();
      }
    });
  });
}

/** The events feed as an EventStream; `abort` cancels the request behind it on close. */
export function eventStream(stream: Readable, abort: AbortController): EventStream {
  const listeners = new Set<(e: EngineEvent) => void>();
  type RawEvent = { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number };
  onJsonLines<RawEvent>(stream, (raw) => {
    const e: EngineEvent = {
      type: raw.Type ?? 'container',
      action: raw.Action ?? raw.status ?? '',
      id: raw.Actor?.ID ?? raw.id ?? '',
      attributes: raw.Actor?.Attributes ?? {},
      timeNano: raw.timeNano ?? Date.now() * 1e6,
    };
    for (const l of listeners) l(e);
  });
  const ended = new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', () => resolve());
  });
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    ended,
    close() {
      abort.abort();
      stream.destroy();
    },
  };
}

/** Splits the engine's multiplexed stdout/stderr log stream into text. */
export function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}
