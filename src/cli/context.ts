// What every command needs: the manifest file, the loaded manifest, the engine and a logger.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerEngine } from '../engine/docker-engine.js';
import type { Engine } from '../engine/engine.js';
import { createLogger, type Log } from '../log.js';
import { fleetOverride } from '../manifest/fleet-name.js';
import type { Manifest } from '../manifest/types.js';
import { ManifestLoader } from '../up/host-view.js';
import { ManifestError, UsageError } from './errors.js';

export interface GlobalOptions {
  file?: string;
  logLevel?: string;
  fleet?: string;
}

// The global options of the command being run, set by main.ts before its action runs, so that
// every command loads the manifest with the same identity without passing them along.
let globals: GlobalOptions = {};

/** Validates --fleet / $DOM0_FLEET (a usage error when invalid) and remembers the global options. */
export function setGlobalOptions(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): void {
  const f = fleetOverride(g.fleet, env.DOM0_FLEET);
  if (!f.ok) throw new UsageError(f.error);
  globals = { ...g, fleet: f.name };
}

/** --fleet, else $DOM0_FLEET (validated by setGlobalOptions); undefined when neither is set. */
export function fleetOption(): string | undefined {
  return globals.fleet;
}

export const DEFAULT_MANIFEST_PATHS = ['./dom0.yaml', '/etc/dom0/dom0.yaml'];

/** -f FILE, else $DOM0_MANIFEST, else ./dom0.yaml, else /etc/dom0/dom0.yaml. */
export function manifestPath(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.file) return resolve(opts.file);
  if (env.DOM0_MANIFEST) return resolve(env.DOM0_MANIFEST);
  const found = DEFAULT_MANIFEST_PATHS.find((p) => existsSync(p));
  return resolve(found ?? DEFAULT_MANIFEST_PATHS[0]!);
}

/** The manifest as the host sees it (src/up/host-view.ts), with the notes that plan and apply print. */
export async function loadWithNotes(file: string): Promise<{ manifest: Manifest; notes: string[] }> {
  const r = await new ManifestLoader(engine(), { fleet: globals.fleet }).load(file);
  if (!r.ok) throw new ManifestError(r.diagnostics);
  return { manifest: r.manifest, notes: r.notes };
}

export async function loadOrThrow(file: string): Promise<Manifest> {
  return (await loadWithNotes(file)).manifest;
}

/** `tap`: also given every event at info and above (the `up --listen` journal). */
export function logger(opts: GlobalOptions, tap?: (event: Record<string, unknown>) => void): Log {
  return createLogger({ level: opts.logLevel ?? process.env.DOM0_LOG_LEVEL ?? 'info', ...(tap ? { tap } : {}) });
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
