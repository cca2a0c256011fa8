// `dom0 up --source`: keeps <state>/source/current (src/up/source/store.ts) at the newest good
// version of the fleet the source serves. Each poll: fetch (conditionally on the ETag), verify
// (the signed index, or the sha256 pin), collect the referenced files (collect.ts), refuse an index
// signed before the one in place (replay.ts), validate the manifest in a staging directory, and
// only then swap it in. Any failure — the server down, slow or answering garbage, a bad
// signature, a replayed index, an invalid manifest — leaves the version in use untouched, is
// logged as `source-error` with its reason, and is retried at the next poll; the running fleet
// never notices. The up loop applies what is in `current`: `onChange` reloads it
// (its own watch sees only the manifest's bytes, not an edit of an env file next to it).
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Log } from '../../log.js';
import { formatDiagnostic, loadManifest } from '../../manifest/load.js';
import { scrub } from '../../redact.js';
import { collect, MAX_FILES, setsName, type SourceReader } from './collect.js';
import { getUrl } from './http-get.js';
import { formatIndex, parseIndex, sha256Hex, verifyIndex, type SourceIndex } from './index-file.js';
import { fileUrl, indexName, type SourceLocation } from './location.js';
import { nextPollDelay } from './jitter.js';
import { replayRefusal } from './replay.js';
import { SourceStore, type SourceStatus } from './store.js';
import { dirReader, MAX_SOURCE_FILE_BYTES } from './dir-source.js';

export interface SyncerOptions {
  location: SourceLocation;
  stateDir: string;
  log: Log;
  intervalMs: number;
  /** ±fraction of the interval, at random (default 0.2). */
  jitter?: number;
  /** One request (default 10 s). */
  timeoutMs?: number;
  pubkey?: KeyObject;
  /** Pins the index's bytes, or the manifest's when it references no other file. */
  sha256?: string;
  /** Extra CA certificates (PEM) for an https source. */
  ca?: Buffer;
  /** --fleet: without it the manifest must set `name:`. */
  fleet?: string;
}

export type SyncResult = 'changed' | 'unchanged' | 'failed';

interface Fetched {
  manifest: string;
  files: Map<string, Buffer>;
  /** Whether they came through an index (signed or pinned): only then is there a signing time to check. */
  indexed: boolean;
  signedAt?: string;
}

export class SourceSyncer {
  readonly store: SourceStore;
  private st: SourceStatus;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private syncing: Promise<SyncResult> | undefined;
  /** ETag and bytes of every URL fetched, for conditional requests. */
  private readonly cache = new Map<string, { etag: string; bytes: Buffer }>();
  private etag: string | undefined;
  /** Called after a new version is swapped in (the up loop's reload, once it runs). */
  onChange: (() => void) | undefined;
  /** sha256 of the index of the version in use, and of the one being checked. */
  private okIndex: string | undefined;
  private checkingIndex: string | undefined;

  constructor(private readonly o: SyncerOptions) {
    this.store = new SourceStore(o.stateDir);
    const version = this.store.currentVersion();
    const signedAt = this.store.currentSignedAt();
    this.st = {
      source: o.location.display,
      integrity: o.pubkey ? 'ed25519' : o.sha256 ? 'sha256' : 'none',
      manifestFile: join(this.store.currentDir, o.location.manifest),
      state: 'pending',
      failures: 0,
      ...(version ? { version } : {}),
      ...(version && signedAt ? { signedAt } : {}),
    };
  }

  /** The manifest `dom0 up` applies: in `current`, whichever version that is. */
  get manifestFile(): string {
    return join(this.store.currentDir, this.o.location.manifest);
  }

  status(): SourceStatus {
    return { ...this.st };
  }

  /** Polls until stop(), the first poll after one (jittered) interval: call syncOnce() first. */
  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.syncOnce().finally(() => this.schedule());
    }, nextPollDelay(this.o.intervalMs, this.o.jitter ?? 0.2, this.st.failures));
    this.timer.unref?.();
  }

  /** One check of the source; never throws. Concurrent calls share one check. */
  syncOnce(): Promise<SyncResult> {
    this.syncing ??= this.check().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async check(): Promise<SyncResult> {
    const { log } = this.o;
    const now = () => new Date().toISOString();
    try {
      const got = await this.fetchVerified();
      if (got === 'same') {
        Object.assign(this.st, { state: 'ok', lastCheckAt: now(), lastSuccessAt: now(), failures: 0 });
        if (this.etag) this.st.etag = this.etag;
        this.persist();
        return 'unchanged';
      }
      const { manifest, files, signedAt } = got;
      if (!files.has(manifest)) throw new Error(`the source has no ${manifest}`);
      if (!this.o.fleet && !setsName(files.get(manifest)!)) {
        throw new Error(`${manifest} sets no \`name:\`: a manifest from a source must name its fleet (or run dom0 up --fleet NAME)`);
      }
      const version = sha256Hex(formatIndex(manifest, files));
      const wasError = this.st.state === 'error';
      const t = now();
      let result: SyncResult = 'unchanged';
      const inPlace = this.store.currentVersion();
      const inPlaceSignedAt = inPlace ? this.store.currentSignedAt() : undefined;
      if (got.indexed) {
        const why = replayRefusal({ version: inPlace, signedAt: inPlaceSignedAt }, { version, signedAt });
        if (why) throw new Error(`${indexName(manifest)}: ${why}`);
      }
      if (version !== inPlace) {
        await this.install(manifest, files, version, signedAt);
        this.st.lastChangeAt = t;
        result = 'changed';
        log.info(
          { event: 'source-updated', source: this.st.source, version, files: files.size, ...(signedAt ? { signedAt } : {}) },
          `new fleet version ${version.slice(0, 12)} from ${this.st.source} (${files.size} file${files.size === 1 ? '' : 's'}${signedAt ? `, signed at ${signedAt}` : ''})`,
        );
      } else if (signedAt && signedAt !== inPlaceSignedAt) {
        // The same content signed again, later (replayRefusal let only a later time through): the later time now holds.
        this.store.setSignedAt(signedAt);
      }
      const held = this.store.currentSignedAt();
      if (held) this.st.signedAt = held;
      else delete this.st.signedAt;
      Object.assign(this.st, { state: 'ok', version, files: files.size, lastCheckAt: t, lastSuccessAt: t, failures: 0 });
      this.okIndex = this.checkingIndex;
      if (this.etag) this.st.etag = this.etag;
      if (wasError) log.info({ event: 'source-recovered', source: this.st.source, version }, `the manifest source ${this.st.source} answers again`);
      this.persist();
      if (result === 'changed') this.onChange?.();
      return result;
    } catch (e) {
      const reason = scrub((e as Error).message);
      const t = now();
      Object.assign(this.st, { state: 'error', lastCheckAt: t, lastError: reason, lastErrorAt: t, failures: this.st.failures + 1 });
      const keeping = this.st.version ? `keeping the last good version ${this.st.version.slice(0, 12)}` : 'no version from it yet';
      log.error({ event: 'source-error', source: this.st.source, error: reason, failures: this.st.failures }, `manifest source ${this.st.source}: ${reason}; ${keeping}`);
      this.persist();
      return 'failed';
    }
  }

  private persist(): void {
    try {
      this.store.writeStatus(this.st);
    } catch (e) {
      this.o.log.error({ event: 'state-dir-error', error: (e as Error).message }, `cannot write ${this.store.statusFile}`);
    }
  }

  /** Stages, validates as `dom0 up` will load it, then swaps in; an invalid manifest changes nothing. */
  private async install(manifest: string, files: ReadonlyMap<string, Buffer>, version: string, signedAt: string | undefined): Promise<void> {
    const stage = this.store.stage(files);
    try {
      const r = await loadManifest(join(stage, manifest), { ...(this.o.fleet ? { fleet: this.o.fleet } : {}) });
      if (!r.ok) {
        const diags = r.diagnostics.map((d) => formatDiagnostic(d).split(`${stage}/`).join(''));
        throw new Error(`invalid manifest:\n${diags.join('\n')}`);
      }
      // A bind source inside the source directory would live in a directory each version replaces.
      const inside = [...r.manifest.services, ...r.manifest.jobs].flatMap((c) =>
        c.volumes.flatMap((m) => (m.type === 'bind' && m.source.startsWith(`${stage}/`) && !files.has(m.source.slice(stage.length + 1)) ? [`${c.name}: ./${m.source.slice(stage.length + 1)}`] : [])),
      );
      if (inside.length > 0) {
        throw new Error(
          `bind mounts relative to a manifest from a source (${inside.join(', ')}): ` +
            'their directory is replaced by each new version, so data there would be lost; use an absolute host path, a named volume, or configs/secrets `file:` for a file of the source',
        );
      }
      this.store.promote(stage, version, signedAt);
    } catch (e) {
      this.store.discard(stage);
      throw e;
    }
  }

  /** The manifest and its files, each checked against the signed or pinned index when there is one. */
  private async fetchVerified(): Promise<Fetched | 'same'> {
    const read = this.reader();
    this.checkingIndex = undefined;
    const { manifest } = this.o.location;
    const { pubkey, sha256 } = this.o;
    if (!pubkey && !sha256) return { ...(await collect(manifest, read)), indexed: false };
    const indexBytes = await read(indexName(manifest));
    if (pubkey || (indexBytes && sha256Hex(indexBytes) === sha256)) {
      if (!indexBytes) throw new Error(`the source has no ${indexName(manifest)} (--source-pubkey needs the signed index: dom0 source sign)`);
      if (sha256 && sha256Hex(indexBytes) !== sha256) throw new Error(`${indexName(manifest)} does not match --source-sha256`);
      // The index is the whole fleet: the one in use, unchanged, means nothing else to fetch.
      this.checkingIndex = sha256Hex(indexBytes);
      if (this.st.state === 'ok' && this.checkingIndex === this.okIndex && this.store.currentVersion() === this.st.version) return 'same';
      let index: SourceIndex;
      try {
        index = parseIndex(indexBytes);
      } catch (e) {
        throw new Error(`${indexName(manifest)}: ${(e as Error).message}`);
      }
      if (pubkey) verifyIndex(index, pubkey);
      if (index.manifest !== manifest) throw new Error(`${indexName(manifest)} is the index of ${index.manifest}, not of ${manifest}`);
      if (index.files.size > MAX_FILES) throw new Error(`${indexName(manifest)} lists more than ${MAX_FILES} files`);
      const c = await collect(manifest, async (rel) => {
        const want = index.files.get(rel);
        if (want === undefined) return null; // not part of the signed fleet: as if absent
        const b = await read(rel);
        if (b === null) throw new Error(`${rel} is listed in ${indexName(manifest)} but the source does not have it`);
        if (sha256Hex(b) !== want) throw new Error(`${rel} does not match its sha256 in ${indexName(manifest)} (changed after signing, or caught mid-update)`);
        return b;
      });
      return { ...c, indexed: true, ...(index.signedAt !== undefined ? { signedAt: index.signedAt } : {}) };
    }
    // The pin names the manifest itself: only a manifest that references no file of the source.
    const bytes = await read(manifest);
    if (bytes === null) throw new Error(`the source has no ${manifest}`);
    if (sha256Hex(bytes) !== sha256) {
      throw new Error(`--source-sha256 matches neither ${indexName(manifest)} nor ${manifest} (sha256 ${sha256Hex(bytes)})`);
    }
    const asked: string[] = [];
    const c = await collect(manifest, async (rel) => {
      if (rel === manifest) return bytes;
      if (rel !== '.env') asked.push(rel);
      return null;
    });
    if (asked.length > 0) throw new Error(`${manifest} references ${asked.join(', ')}: a pin on the manifest alone cannot cover them; pin the index (dom0 source sign) instead`);
    return { ...c, indexed: false };
  }

  /** Reads one file of the source; null when it has none. */
  private reader(): SourceReader {
    const loc = this.o.location;
    if (loc.kind === 'dir') return dirReader(loc.dir);
    const root = indexName(loc.manifest);
    const first = this.o.pubkey || this.o.sha256 ? root : loc.manifest;
    return async (rel) => {
      const url = fileUrl(loc, rel);
      const cached = this.cache.get(url.href);
      const r = await getUrl(url, {
        timeoutMs: this.o.timeoutMs ?? 10_000,
        maxBytes: MAX_SOURCE_FILE_BYTES,
        ...(cached ? { etag: cached.etag } : {}),
        ...(this.o.ca ? { ca: this.o.ca } : {}),
        ...(loc.authorization ? { authorization: loc.authorization } : {}),
      });
      if (r.status === 404) {
        this.cache.delete(url.href);
        return null;
      }
      if (r.status === 304) {
        if (!cached) throw new Error(`${loc.display}: 304 Not Modified to a request without an ETag`);
        if (rel === first) this.etag = cached.etag;
        return cached.bytes;
      }
      if (r.etag) this.cache.set(url.href, { etag: r.etag, bytes: r.bytes });
      else this.cache.delete(url.href);
      if (rel === first) this.etag = r.etag;
      return r.bytes;
    };
  }
}
