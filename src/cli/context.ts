// What every command needs: the manifest file, the loaded manifest, the engine and a logger.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { lazyEngine } from '../engine/lazy-engine.js';
import type { Engine } from '../engine/engine.js';
import { fleetOverride } from '../manifest/fleet-name.js';
import type { Manifest } from '../manifest/types.js';
import type { LoadOptions } from '../manifest/load.js';
import { setLoaderDefaults } from '../up/loader-defaults.js';
import { ManifestError, UsageError } from './errors.js';

export interface GlobalOptions {
  file?: string[]; // -f, repeatable: merged in order, as Compose does
  logLevel?: string;
  fleet?: string;
  profile?: string[]; // --profile, repeatable
  target?: string; // --target single|swarm: wins over the manifest's `target:`
}

// The global options of the command being run, set by main.ts before its action runs, so that
// every command loads the manifest with the same identity without passing them along.
let globals: GlobalOptions = {};

/** Validates --fleet / $DOM0_FLEET (a usage error when invalid) and remembers the global options. */
export function setGlobalOptions(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): void {
  const f = fleetOverride(g.fleet, env.DOM0_FLEET);
  if (!f.ok) throw new UsageError(f.error);
  if (g.target !== undefined && g.target !== 'single' && g.target !== 'swarm') throw new UsageError(`--target must be single or swarm, not ${JSON.stringify(g.target)}`);
  globals = { ...g, fleet: f.name };
  const files = manifestFiles(g, env);
  if (files.filter((x) => x === STDIN).length > 1) throw new UsageError('`-f -` (stdin) can be given only once');
  // Every load of this run, `dom0 up`'s reloads included, composes the same files with the same profiles.
  setLoaderDefaults({ files, ...composeOptions() });
}

/** The options of loadManifest that come from the command line: --profile, --target, and stdin for `-f -`. */
export function composeOptions(): Pick<LoadOptions, 'profiles' | 'stdin' | 'target'> {
  const files = manifestFiles(globals);
  return {
    ...(globals.target === 'single' || globals.target === 'swarm' ? { target: globals.target } : {}),
    ...(globals.profile && globals.profile.length > 0 ? { profiles: globals.profile } : {}),
    ...(files.includes(STDIN) ? { stdin: stdinText() } : {}),
  };
}

const STDIN = '-';
let stdin: Buffer | undefined;

/** stdin, read once (`-f -`). */
function stdinText(): Buffer {
  stdin ??= readFileSync(0);
  return stdin;
}

/** --fleet, else $DOM0_FLEET (validated by setGlobalOptions); undefined when neither is set. */
export function fleetOption(): string | undefined {
  return globals.fleet;
}

export const DEFAULT_MANIFEST_PATHS = ['./dom0.yaml', '/etc/dom0/dom0.yaml'];

/**
 * The manifest files, merged in this order: every -f FILE, else $DOM0_MANIFEST (a list separated
 * by the OS path separator, ':' on Linux, or by $DOM0_PATH_SEPARATOR, as COMPOSE_FILE is), else
 * ./dom0.yaml, else /etc/dom0/dom0.yaml. Relative paths resolve against the current directory;
 * `-` is stdin.
 */
export function manifestFiles(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  const abs = (f: string) => (f === STDIN ? f : resolve(f));
  const given = typeof opts.file === 'string' ? [opts.file] : (opts.file ?? []);
  if (given.length > 0) return given.map(abs);
  if (env.DOM0_MANIFEST) {
    const list = env.DOM0_MANIFEST.split(env.DOM0_PATH_SEPARATOR || delimiter).filter(Boolean);
    if (list.length > 0) return list.map(abs);
  }
  const found = DEFAULT_MANIFEST_PATHS.find((p) => existsSync(p));
  return [resolve(found ?? DEFAULT_MANIFEST_PATHS[0]!)];
}

/** The first manifest file: the manifest's identity (its origin and default fleet name derive from it). */
export function manifestPath(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return manifestFiles(opts, env)[0]!;
}

/** The manifest as the host sees it (src/up/host-view.ts), with the notes that plan and apply print. */
export async function loadWithNotes(file: string): Promise<{ manifest: Manifest; notes: string[] }> {
  const { ManifestLoader } = await import('../up/host-view.js'); // not for commands that never load a manifest
  const r = await new ManifestLoader(engine(), { fleet: globals.fleet }).load(file);
  if (!r.ok) throw new ManifestError(r.diagnostics);
  return { manifest: r.manifest, notes: r.notes };
}

export async function loadOrThrow(file: string): Promise<Manifest> {
  return (await loadWithNotes(file)).manifest;
}

let theEngine: Engine | undefined;

export function engine(): Engine {
  theEngine ??= lazyEngine(async () => new (await import('../engine/docker-engine.js')).DockerEngine());
  return theEngine;
}

/** With DOM0_ENGINE_STATS=1, one NDJSON line with the Engine API calls made (for the benchmark). */
export function reportEngineCalls(): void {
  if (process.env.DOM0_ENGINE_STATS === '1' && theEngine) {
    process.stderr.write(`${JSON.stringify({ event: 'engine-calls', calls: theEngine.calls })}\n`);
  }
}
