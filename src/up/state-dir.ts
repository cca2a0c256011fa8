// dom0's state directory: the last manifest that applied (last-good), the last one that passed
// its readiness window (last-healthy), manifests marked bad by a rollback, and the `up` loop's heartbeat.
// Failing to write here (disk full, read-only) is logged and never stops the fleet's reconcile.
// Files are private (0600, the directory 0700: the manifest may hold secrets) and replaced
// atomically: a unique temp file, fsynced, then renamed over the old one, so a crash or a
// concurrent writer leaves the old file or the new one, never a torn one. A file that is
// nonetheless truncated or corrupt is reported, not taken for "no file".
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Failure } from './rollback.js';

export { DEFAULT_STATE_DIR, stateDirFromEnv } from '../state-path.js';

export interface LastGood {
  /** The manifest's path when it applied (relative env_file etc. resolve against its directory). */
  source: string;
  /** Exactly the bytes that were validated and applied (valid UTF-8, so a JSON string holds them). */
  text: string;
  savedAt: string;
  /** Of the bytes; checked on load. */
  sha256: string;
}

/** A manifest (by the sha256 of its bytes) that failed its readiness window and was rolled back. */
export interface BadManifest {
  sha256: string;
  since: string;
  /** The last-healthy manifest re-applied instead. */
  rolledBackTo: string;
  failures: Failure[];
}

/** How many bad manifests are remembered (the oldest are forgotten). */
const KEEP_BAD = 50;

/** A state file exists but cannot be trusted (truncated, corrupt, edited by hand). */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** Fresh enough: the loop beats every 5 s. `dom0 health` and /healthz share this rule. */
export const HEARTBEAT_MAX_AGE_MS = 30_000;

/** Why the `up` loop is not alive, or undefined when its heartbeat is fresh. */
export function heartbeatProblem(ageMs: number | undefined): string | undefined {
  if (ageMs === undefined) return 'no heartbeat: dom0 up is not running';
  if (ageMs > HEARTBEAT_MAX_AGE_MS) return `heartbeat is ${Math.round(ageMs / 1000)}s old`;
  return undefined;
}

/** Where the heartbeat goes when the state dir cannot be written. */
const FALLBACK_HEARTBEAT = join(tmpdir(), 'dom0-heartbeat');

export class StateDir {
  constructor(readonly dir: string) {}

  /** `durable`: fsync the file and the directory (the heartbeat, rewritten every few seconds, skips it). */
  private writeAtomic(name: string, content: string | Buffer, durable = true): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      try {
        const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
        if (durable) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.dir, name));
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // already renamed or never written
      }
      throw e;
    }
    if (durable) fsyncDir(this.dir);
  }

  /** `bytes`: the very buffer that was validated and applied, not a fresh read of the file. */
  saveLastGood(source: string, bytes: Buffer): void {
    const record: LastGood = { source, text: bytes.toString('utf8'), savedAt: new Date().toISOString(), sha256: sha256(bytes) };
    this.writeAtomic('last-good.json', JSON.stringify(record));
  }

  /** undefined when there is none; throws StateFileError when the file is there but unusable. */
  loadLastGood(): LastGood | undefined {
    return this.loadManifestRecord('last-good.json');
  }

  /** The manifest that passed its readiness window last: what a rollback re-applies. */
  saveLastHealthy(source: string, bytes: Buffer): void {
    const record: LastGood = { source, text: bytes.toString('utf8'), savedAt: new Date().toISOString(), sha256: sha256(bytes) };
    this.writeAtomic('last-healthy.json', JSON.stringify(record));
  }

  loadLastHealthy(): LastGood | undefined {
    return this.loadManifestRecord('last-healthy.json');
  }

  /** Bad manifests by hash; an unreadable file counts as none (a rollback is never blocked by it). */
  badManifests(): Record<string, BadManifest> {
    try {
      const r = JSON.parse(readFileSync(join(this.dir, 'bad-manifests.json'), 'utf8')) as unknown;
      return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, BadManifest>) : {};
    } catch {
      return {};
    }
  }

  badManifest(hash: string): BadManifest | undefined {
    const b = this.badManifests()[hash];
    return b && typeof b.since === 'string' ? b : undefined;
  }

  markBad(b: BadManifest): void {
    const all = Object.values(this.badManifests()).filter((x) => x.sha256 !== b.sha256);
    all.push(b);
    const kept = all.slice(-KEEP_BAD);
    this.writeAtomic('bad-manifests.json', JSON.stringify(Object.fromEntries(kept.map((x) => [x.sha256, x]))));
  }

  /** The rollback in force (the fleet runs last-healthy instead of the bad manifest), for `dom0 status`. */
  saveRollback(b: BadManifest | undefined): void {
    if (b) this.writeAtomic('rollback.json', JSON.stringify(b));
    else {
      try {
        unlinkSync(join(this.dir, 'rollback.json'));
      } catch {
        // none in force
      }
    }
  }

  loadRollback(): BadManifest | undefined {
    try {
      const r = JSON.parse(readFileSync(join(this.dir, 'rollback.json'), 'utf8')) as BadManifest;
      return typeof r?.sha256 === 'string' && typeof r.since === 'string' && typeof r.rolledBackTo === 'string' && Array.isArray(r.failures) ? r : undefined;
    } catch {
      return undefined;
    }
  }

  private loadManifestRecord(name: string): LastGood | undefined {
    const file = join(this.dir, name);
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateFileError(`cannot read ${file}: ${(e as Error).message}`);
    }
    let r: Partial<LastGood>;
    try {
      r = JSON.parse(raw) as Partial<LastGood>;
    } catch {
      throw new StateFileError(`${file} is truncated or corrupt (${raw.length} bytes, not valid JSON)`);
    }
    if (r === null || typeof r !== 'object' || typeof r.text !== 'string' || typeof r.source !== 'string' || typeof r.savedAt !== 'string') {
      throw new StateFileError(`${file} is corrupt (fields missing)`);
    }
    if (typeof r.sha256 !== 'string' || sha256(Buffer.from(r.text, 'utf8')) !== r.sha256) {
      throw new StateFileError(`${file} is corrupt (its checksum does not match its manifest)`);
    }
    return r as LastGood;
  }

  heartbeat(): void {
    const now = new Date();
    try {
      this.writeAtomic('heartbeat', now.toISOString(), false);
    } catch {
      writeFileSync(FALLBACK_HEARTBEAT, now.toISOString(), { mode: 0o600 });
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

export function fsyncDir(dir: string): void {
  // Makes the rename itself durable; some filesystems refuse to fsync a directory, which is fine.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
