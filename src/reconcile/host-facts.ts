// The host's facts for placement, fetched by the caller of plan (plan itself stays pure): the
// engine's name and labels from docker info, $DOM0_HOSTNAME over the name, and the host labels
// file (KEY=VALUE lines) over the engine's labels as node.labels.
import { readFileSync } from 'node:fs';
import type { Engine } from '../engine/engine.js';
import type { Manifest } from '../manifest/types.js';
import { type HostFacts, hasPlacement, type Placed, placeOnHost } from './placement.js';

export const DEFAULT_HOST_LABELS_FILE = '/etc/dom0/host-labels';

export interface HostOptions {
  /** node.hostname instead of the engine's Name. */
  hostname?: string;
  /** The host labels file; a missing file is an error unless it is the default one. */
  labelsFile?: string;
}

/** DOM0_HOSTNAME and DOM0_HOST_LABELS (`--host-labels` sets the latter for the whole process). */
export function hostOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HostOptions {
  return {
    ...(env.DOM0_HOSTNAME ? { hostname: env.DOM0_HOSTNAME } : {}),
    ...(env.DOM0_HOST_LABELS ? { labelsFile: env.DOM0_HOST_LABELS } : {}),
  };
}

export async function hostFacts(engine: Engine, opts: HostOptions = hostOptionsFromEnv()): Promise<HostFacts> {
  const info = await engine.info();
  const fileLabels = readHostLabels(opts.labelsFile);
  return {
    hostname: opts.hostname || info.name,
    engineLabels: info.labels,
    nodeLabels: { ...info.labels, ...fileLabels },
    os: info.os,
    arch: info.arch,
  };
}

/** The labels file's labels; none when the default file does not exist; an Error naming the file otherwise. */
export function readHostLabels(file: string | undefined): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file ?? DEFAULT_HOST_LABELS_FILE, 'utf8');
  } catch (e) {
    if (file === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read the host labels file ${file ?? DEFAULT_HOST_LABELS_FILE}: ${(e as Error).message}`);
  }
  const parsed = parseHostLabels(text);
  if (!parsed.ok) throw new Error(`host labels file ${file ?? DEFAULT_HOST_LABELS_FILE}: ${parsed.error}`);
  return parsed.value;
}

/** `KEY=VALUE` per line; blank lines and `#` comments skipped; spaces around the key and value trimmed. */
export function parseHostLabels(text: string): { ok: true; value: Record<string, string> } | { ok: false; error: string } {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!key) return { ok: false, error: `line ${i + 1}: expected KEY=VALUE, got ${JSON.stringify(line)}` };
    out[key] = line.slice(eq + 1).trim();
  }
  return { ok: true, value: out };
}

/**
 * The manifest as this host runs it; undefined (no engine call) when no entry has constraints, or
 * under `target: swarm`, where the constraints are the Swarm scheduler's to apply.
 */
export async function placeManifest(manifest: Manifest, engine: Engine, opts?: HostOptions): Promise<Placed | undefined> {
  if (manifest.target === 'swarm' || !hasPlacement(manifest)) return undefined;
  return placeOnHost(manifest, await hostFacts(engine, opts));
}
