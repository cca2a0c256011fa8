// What every command needs: the manifest file, the loaded manifest, the engine and a logger.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerEngine } from '../engine/docker-engine.js';
import type { Engine } from '../engine/engine.js';
import { createLogger, type Log } from '../log.js';
import { loadManifest } from '../manifest/load.js';
import type { Manifest } from '../manifest/types.js';
import { ManifestError } from './errors.js';

export interface GlobalOptions {
  file?: string;
  logLevel?: string;
}

export const DEFAULT_MANIFEST_PATHS = ['./dom0.yaml', '/etc/dom0/dom0.yaml'];

/** -f FILE, else $DOM0_MANIFEST, else ./dom0.yaml, else /etc/dom0/dom0.yaml. */
export function manifestPath(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.file) return resolve(opts.file);
  if (env.DOM0_MANIFEST) return resolve(env.DOM0_MANIFEST);
  const found = DEFAULT_MANIFEST_PATHS.find((p) => existsSync(p));
  return resolve(found ?? DEFAULT_MANIFEST_PATHS[0]!);
}

export async function loadOrThrow(file: string): Promise<Manifest> {
  const r = await loadManifest(file);
  if (!r.ok) throw new ManifestError(r.diagnostics);
  return r.manifest;
}

export function logger(opts: GlobalOptions): Log {
  return createLogger({ level: opts.logLevel ?? process.env.DOM0_LOG_LEVEL ?? 'info' });
}

let theEngine: DockerEngine | undefined;

export function engine(): Engine {
  theEngine ??= new DockerEngine();
  return theEngine;
}

/** With DOM0_ENGINE_STATS=1, one NDJSON line with the Engine API calls made (for the benchmark). */
export function reportEngineCalls(): void {
  if (process.env.DOM0_ENGINE_STATS === '1' && theEngine) {
    process.stderr.write(`${JSON.stringify({ event: 'engine-calls', calls: theEngine.calls })}\n`);
  }
}
