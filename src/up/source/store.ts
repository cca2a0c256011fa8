// The fleet as fetched, on this host's disk: <state>/source/v-<version>/ holds one verified,
// valid set of files, and <state>/source/current is a symlink to the one in use, swapped
// atomically (a new link renamed over the old one), so the manifest `dom0 up` reads and the files
// next to it always belong to one version. The two versions before it are kept, so that a load
// racing the swap still finds its files. <state>/source.json is the source's state, for
// `dom0 status` and the status page. Files are private: the source may carry secrets.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

const KEEP_VERSIONS = 3;

export class SourceStore {
  readonly root: string;
  constructor(private readonly stateDir: string) {
    this.root = join(stateDir, 'source');
  }

  get currentDir(): string {
    return join(this.root, 'current');
  }

  /** The version `current` points at, or undefined. */
  currentVersion(): string | undefined {
    try {
      const target = readlinkSync(this.currentDir);
      return /^v-([0-9a-f]{64})$/.exec(target)?.[1];
    } catch {
      return undefined;
    }
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

  /** The staged directory becomes version `version`, and `current` points at it. */
  promote(stageDir: string, version: string): void {
    const name = `v-${version}`;
    const dir = join(this.root, name);
    if (statOrUndefined(dir)?.isDirectory()) this.discard(stageDir);
    else renameSync(stageDir, dir);
    const link = join(this.root, `.current-${process.pid}-${randomBytes(6).toString('hex')}`);
    symlinkSync(name, link);
    renameSync(link, this.currentDir);
    fsyncDir(this.root);
    this.prune(name);
  }

  /** Removes all but the newest versions (and stale staging directories of dead runs). */
  private prune(current: string): void {
    const entries = readdirSync(this.root)
      .filter((n) => n.startsWith('v-') || n.startsWith('.stage-'))
      .map((n) => ({ n, mtime: statOrUndefined(join(this.root, n))?.mtimeMs ?? 0 }))
      .sort((a, b) => b.mtime - a.mtime);
    const keep = new Set([current, ...entries.filter((e) => e.n.startsWith('v-')).slice(0, KEEP_VERSIONS).map((e) => e.n)]);
    for (const e of entries) {
      if (keep.has(e.n)) continue;
      if (e.n.startsWith('.stage-') && Date.now() - e.mtime < 10 * 60_000) continue; // maybe a concurrent write
      rmSync(join(this.root, e.n), { recursive: true, force: true });
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

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: some filesystems refuse to fsync a directory
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
