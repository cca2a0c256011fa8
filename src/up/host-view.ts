// Loading the manifest as the host sees it. Every command and `dom0 up` load through here, so a
// manifest gets one identity (origin, default fleet name) and one set of bind paths whether dom0
// reads it on the host (/srv/fleet/dom0.yaml) or in its container with the directory mounted
// (/etc/dom0/dom0.yaml): inside a container, paths are translated through dom0's own mounts.
//
// The engine is asked about dom0's container only after the manifest validated: an invalid
// manifest makes no engine connection.

import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { bindSourceHook, hostPathTranslator, type HostPath } from '../manifest/host-paths.js';
import { loadManifestTexts, readManifestFile, type LoadOptions } from '../manifest/load.js';
import type { Diagnostic, LoadResult, Manifest } from '../manifest/types.js';
import { loaderDefaults, type ComposeDefaults } from './loader-defaults.js';
import { selfContainerId } from './self-container.js';

export { setLoaderDefaults, type ComposeDefaults } from './loader-defaults.js';

export type HostLoadResult =
  | { ok: true; manifest: Manifest; warnings: Diagnostic[]; notes: string[] }
  | { ok: false; diagnostics: Diagnostic[] };

export interface ManifestLoaderOptions extends ComposeDefaults {
  fleet?: string; // --fleet / $DOM0_FLEET, already validated
  env?: Record<string, string | undefined>;
  /** dom0's own container ID; default: found in /proc/self/mountinfo. */
  selfId?: string;
}

/** The real path of a file; for a missing file (a last-good reload), the real path of its directory. */
export function realpathLoose(file: string): string {
  const abs = resolve(file);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

interface SelfView {
  id: string;
  toHost: HostPath;
}

export class ManifestLoader {
  private readonly selfId: string | undefined;
  private readonly compose: ComposeDefaults;
  // dom0's mounts are fixed for the life of its container: inspected once, on the first valid load.
  private view: Promise<SelfView | undefined> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly o: ManifestLoaderOptions = {},
  ) {
    this.selfId = Object.hasOwn(o, 'selfId') ? o.selfId : selfContainerId();
    this.compose = { ...loaderDefaults(), ...Object.fromEntries(Object.entries({ files: o.files, profiles: o.profiles, stdin: o.stdin }).filter(([, v]) => v !== undefined)) };
  }

  /**
   * Loads `file` (or `text` as if it were `file`, for the last-good manifest), merged with the
   * other -f files when it is the first of them. Throws only engine errors.
   */
  async load(file: string, text?: string | Buffer): Promise<HostLoadResult> {
    const real = file === '-' ? join(process.cwd(), '-') : realpathLoose(file);
    const base: LoadOptions = {
      fleet: this.o.fleet,
      origin: real,
      ...(this.o.env ? { env: this.o.env } : {}),
      ...(this.compose.profiles ? { profiles: this.compose.profiles } : {}),
      ...(this.compose.stdin !== undefined ? { stdin: this.compose.stdin } : {}),
      ...(this.compose.target ? { target: this.compose.target } : {}),
    };
    const first = await this.read(file, text, base);
    if (!first.ok) return first;
    const self = await this.selfView();
    if (!self) return { ...first, notes: [] };

    const notes: string[] = [];
    const origin = self.toHost(real);
    if (origin === undefined) {
      notes.push(`the manifest ${real} is inside dom0's container, not mounted from the host: its origin is that path`);
    }
    const second = await this.read(file, text, { ...base, origin: origin ?? real, bindSource: bindSourceHook(self.toHost, (n) => notes.push(n)) });
    return second.ok ? { ...second, notes } : second;
  }

  private async read(file: string, text: string | Buffer | undefined, opts: LoadOptions): Promise<LoadResult> {
    const all = this.compose.files;
    const files = all && all.length > 0 && resolve(all[0]!) === resolve(file) ? all : [file];
    const inputs = [];
    for (const [i, f] of files.entries()) {
      if (f === '-') {
        inputs.push({ file: f, text: opts.stdin ?? '' });
        continue;
      }
      if (i === 0 && text !== undefined) {
        inputs.push({ file: f, text });
        continue;
      }
      const read = readManifestFile(f);
      if (!read.ok) return read;
      inputs.push({ file: f, text: read.bytes });
    }
    return loadManifestTexts(inputs, opts);
  }

  private selfView(): Promise<SelfView | undefined> {
    const id = this.selfId;
    if (id === undefined) return Promise.resolve(undefined);
    this.view ??= this.engine.inspectContainer(id).then(
      (c) => {
        // A container ID this engine does not know: dom0 runs in a container of another engine
        // (nested), and its paths are the ones that engine's host sees.
        if (!c) return undefined;
        const mounts = c.mounts.filter((m) => m.type === 'bind' || m.type === 'volume');
        return { id, toHost: hostPathTranslator(mounts) };
      },
      (e: unknown) => {
        this.view = undefined; // an engine hiccup is retried on the next load
        throw e;
      },
    );
    return this.view;
  }
}
