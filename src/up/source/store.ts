// The fleet as fetched, on this host's disk: <state>/source/current/ holds one verified, valid
// set of files, the version in use. A new version is written to a staging directory, checked,
// then swapped in with two renames (current → .old-…, staging → current): the manifest `dom0 up`
// reads and the files next to it always belong to one version, and their paths never change (a
// secret's bind-mount source stays the same path from version to version; a symlink to versioned
// directories would not, as the loader resolves symlinks into the fleet's identity). A crash
// between the two renames is repaired at the next start. The version's name and the time its index
// was signed (replay.ts) live inside its directory, so they are swapped in with it and survive
// reboots. <state>/source.json is the source's state, for `dom0 status` and the status page.
// Files are private: the source may carry secrets.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../state-dir.js';
import { signingTimeMs } from './index-file.js';

export interface SourceStatus {
  /** The source, credentials redacted. */
  source: string;
  integrity: 'ed25519' | 'sha256' | 'none';
  /** The local manifest `dom0 up` applies (in <state>/source/current). */
  manifestFile: string;
  /** ok: the last check succeeded; error: it failed and the last good version stays in use; pending: no check finished yet. */
  state: 'ok' | 'error' | 'pending';
  /** The version in use: sha256 of its file list (undefined: none yet). */
  version?: string;
  /** When the index of the version in use was signed (undefined: no index, or one without a time). */
  signedAt?: string;
  files?: number;
  lastCheckAt?: string;
  lastSuccessAt?: string;
  lastChangeAt?: string;
  etag?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Failed checks in a row. */
  failures: number;
}

/** The version's name inside its directory (a dotfile no manifest reads). */
const VERSION_FILE = '.dom0-version';
/** The signing time of the version's index, when it had one. */
const SIGNED_FILE = '.dom0-signed';
/** Replaced versions kept for a moment, for a load that raced the swap. */
const KEEP_OLD = 2;

export class SourceStore {
  readonly root: string;
  constructor(private readonly stateDir: string) {
    this.root = join(stateDir, 'source');
    this.repair();
  }

  get currentDir(): string {
    return join(this.root, 'current');
  }

  /** The version in `current`, or undefined. */
  currentVersion(): string | undefined {
    try {
      const v = readFileSync(join(this.currentDir, VERSION_FILE), 'utf8').trim();
      return /^[0-9a-f]{64}$/.test(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** When the index of the version in `current` was signed, or undefined. */
  currentSignedAt(): string | undefined {
    try {
      const t = readFileSync(join(this.currentDir, SIGNED_FILE), 'utf8').trim();
      return signingTimeMs(t) !== undefined ? t : undefined;
    } catch {
      return undefined;
    }
  }

  /** The version in `current` was signed again, later: its new time replaces the old one. */
  setSignedAt(signedAt: string): void {
    const tmp = join(this.currentDir, `${SIGNED_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    writeDurable(tmp, Buffer.from(`${signedAt}\n`));
    renameSync(tmp, join(this.currentDir, SIGNED_FILE));
    fsyncDir(this.currentDir);
  }

  /** Writes the files into a fresh private directory; returns it (validate it, then promote or discard it). */
  stage(files: ReadonlyMap<string, Buffer>): string {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const dir = join(this.root, `.stage-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir, { mode: 0o700 });
    for (const [rel, bytes] of files) {
      const path = join(dir, rel);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeDurable(path, bytes);
    }
    return dir;
  }

  discard(stageDir: string): void {
    rmSync(stageDir, { recursive: true, force: true });
  }

  /** The staged directory becomes `current`, as version `version`, signed at `signedAt`. */
  promote(stageDir: string, version: string, signedAt?: string): void {
    writeDurable(join(stageDir, VERSION_FILE), Buffer.from(`${version}\n`));
    if (signedAt !== undefined) writeDurable(join(stageDir, SIGNED_FILE), Buffer.from(`${signedAt}\n`));
    fsyncDir(stageDir);
    if (existsSync(this.currentDir)) renameSync(this.currentDir, join(this.root, `.old-${Date.now()}-${randomBytes(4).toString('hex')}`));
    renameSync(stageDir, this.currentDir);
    fsyncDir(this.root);
    this.prune();
  }

  /** A crash between promote's two renames left no `current`: the newest replaced one comes back. */
  private repair(): void {
    if (existsSync(this.currentDir) || !existsSync(this.root)) return;
    const old = readdirSync(this.root).filter((n) => n.startsWith('.old-')).sort();
    if (old.length > 0) renameSync(join(this.root, old.at(-1)!), this.currentDir);
  }

  /** Removes all but the newest replaced versions, and staging directories of dead runs. */
  private prune(): void {
    const names = readdirSync(this.root);
    const old = names.filter((n) => n.startsWith('.old-')).sort();
    for (const n of old.slice(0, Math.max(0, old.length - KEEP_OLD))) rmSync(join(this.root, n), { recursive: true, force: true });
    for (const n of names.filter((x) => x.startsWith('.stage-'))) {
      const age = Date.now() - (statOrUndefined(join(this.root, n))?.mtimeMs ?? 0);
      if (age > 10 * 60_000) rmSync(join(this.root, n), { recursive: true, force: true }); // younger: maybe a concurrent write
    }
  }

  get statusFile(): string {
    return join(this.stateDir, 'source.json');
  }

  writeStatus(s: SourceStatus): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.statusFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    writeDurable(tmp, Buffer.from(`${JSON.stringify(s, null, 2)}\n`), false);
    renameSync(tmp, this.statusFile);
  }
}

/** The source state `dom0 up --source` last wrote in this state dir, or undefined (none, or unreadable). */
export function readSourceStatus(stateDir: string): SourceStatus | undefined {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, 'source.json'), 'utf8')) as SourceStatus;
    return s && typeof s === 'object' && typeof s.source === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

function writeDurable(path: string, bytes: Buffer, sync = true): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(p: string): import('node:fs').Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

