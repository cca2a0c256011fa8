// A fake Engine for pull tests (unit and registry-up): only inspectImage and pullImage do anything; memoryLog captures log lines.
import type { Engine, ImageInfo, PullOptions } from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/errors.js';

export type PullScript = (ref: string, opts: PullOptions, attempt: number) => Promise<string | undefined> | string | undefined;

export class FakeEngine {
  /** Local images: ref → image ID. */
  readonly images = new Map<string, string>();
  readonly pulls: Array<{ ref: string; opts: PullOptions }> = [];
  active = 0;
  maxActive = 0;
  private attempts = new Map<string, number>();

  /** What a pull does: return a new image ID to store, undefined to keep the current one, or throw. */
  constructor(public script: PullScript = () => undefined) {}

  readonly calls = {};

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const id = this.images.get(ref);
    return id ? { id, repoTags: [ref], repoDigests: [], created: '', volumes: [], labels: {} } : undefined;
  }

  async pullImage(ref: string, opts: PullOptions = {}): Promise<void> {
    this.pulls.push({ ref, opts });
    const n = (this.attempts.get(ref) ?? 0) + 1;
    this.attempts.set(ref, n);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((r) => setTimeout(r, 5));
      const id = await this.script(ref, opts, n);
      opts.onProgress?.({ image: ref, status: 'Downloading', layer: 'aaaaaaaaaaaa', current: 100, total: 100 });
      opts.onProgress?.({ image: ref, status: 'Pull complete', layer: 'aaaaaaaaaaaa' });
      if (id) this.images.set(ref, id);
      else if (!this.images.has(ref)) this.images.set(ref, `sha256:pulled-${ref}`);
    } finally {
      this.active--;
    }
  }

  asEngine(): Engine {
    return this as unknown as Engine;
  }
}

export const refused = (ref: string) =>
  new EngineError('server', `Get "http://${ref.split('/')[0]}/v2/": dial tcp ${ref.split('/')[0]}: connect: connection refused`, 500);
export const unauthorized = () => new EngineError('auth', 'unauthorized: authentication required', 500);
export const manifestUnknown = (ref: string) => new EngineError('not-found', `manifest for ${ref} not found: manifest unknown: manifest unknown`, 404);

/** A pino-compatible logger that records every line (object + message). */
export function memoryLog() {
  const lines: Array<Record<string, unknown> & { level: string; msg: string }> = [];
  const mk = (level: string) => (obj: object | string, msg?: string) => {
    if (typeof obj === 'string') lines.push({ level, msg: obj });
    else lines.push({ ...(obj as Record<string, unknown>), level, msg: msg ?? '' });
  };
  const log = { trace: mk('trace'), debug: mk('debug'), info: mk('info'), warn: mk('warn'), error: mk('error'), fatal: mk('fatal') };
  return { log: log as unknown as import('../../src/log.js').Log, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
