// dom0's state directory: the last manifest that applied, and the `up` loop's heartbeat.
// Failing to write here (disk full, read-only) is logged and never stops the fleet's reconcile.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/dom0';

export function stateDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOM0_STATE_DIR || DEFAULT_STATE_DIR;
}

export interface LastGood {
  /** The manifest's path when it applied (relative env_file etc. resolve against its directory). */
  source: string;
  text: string;
  savedAt: string;
  sha256: string;
}

/** Where the heartbeat goes when the state dir cannot be written. */
const FALLBACK_HEARTBEAT = join(tmpdir(), 'dom0-heartbeat');

export class StateDir {
  constructor(readonly dir: string) {}

  private writeAtomic(name: string, content: string): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, join(this.dir, name));
  }

  saveLastGood(source: string, text: string): void {
    const record: LastGood = { source, text, savedAt: new Date().toISOString(), sha256: sha256(text) };
    this.writeAtomic('last-good.json', JSON.stringify(record));
  }

  loadLastGood(): LastGood | undefined {
    try {
      const r = JSON.parse(readFileSync(join(this.dir, 'last-good.json'), 'utf8')) as LastGood;
      return typeof r.text === 'string' && typeof r.source === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  heartbeat(): void {
    const now = new Date();
    try {
      this.writeAtomic('heartbeat', now.toISOString());
    } catch {
      writeFileSync(FALLBACK_HEARTBEAT, now.toISOString());
    }
  }

  /** Age of the freshest heartbeat in ms, or undefined if there is none. */
  heartbeatAgeMs(): number | undefined {
    const ages = [join(this.dir, 'heartbeat'), FALLBACK_HEARTBEAT].flatMap((p) => {
      try {
        return [Date.now() - statSync(p).mtimeMs];
      } catch {
        return [];
      }
    });
    return ages.length ? Math.min(...ages) : undefined;
  }
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
