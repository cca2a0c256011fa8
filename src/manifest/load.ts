// Entry point: dom0.yaml → LoadResult. Never throws for bad input; every problem is a
// diagnostic at FILE:LINE:COL, all of them reported at once, sorted by position.

import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { composeProject, STDIN, STDIN_NAME, type ComposeInput } from './compose.js';
import { dedupeDiagnostics, sortDiagnostics, type Path } from './diagnostics.js';
import { FLEET_NAME, fleetName } from './fleet-name.js';
import type { BindSourceHook } from './host-paths.js';
import { placeIssues } from './issues.js';
import {
  homeOf,
  MAX_MANIFEST_BYTES,
  projectEnvironment,
  readManifestBytes,
  type ManifestReader,
  type SideFileReader,
} from './layer.js';
import { KIND_OF, type Entry, type Model, type Reporter } from './model.js';
import { normalize } from './normalize.js';
import { activeProfiles, selectProfiles } from './profiles.js';
import { composedLocator, type Place } from './provenance.js';
import { readCapped, readSideFile } from './read-file.js';
import { checkRules } from './rules.js';
import { checkOneHostRules, checkSwarmRules, swarmDeploys } from './swarm.js';
import {
  containerSchema,
  containerShape,
  kindOf,
  networkSchema,
  registrySchema,
  fileObjectSchema,
  SECTIONS,
  topSchema,
  validFields,
  volumeContainerSchema,
  volumeContainerShape,
  volumeSchema,
} from './schema.js';
import { withSuggestionBudget } from './suggest.js';
import type { Diagnostic, LoadResult, PullPolicy } from './types.js';
import { registerSecret } from '../redact.js';

export { formatDiagnostic } from './diagnostics.js';

export { MAX_MANIFEST_BYTES };
export type { SideFileReader };

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  /** A file the manifest names: its text, undefined if it does not exist, or why it cannot be used. */
  readFile?: SideFileReader;
  /** An included or extended Compose file (default: readFile when given, else the file with the manifest's size cap). */
  readManifest?: ManifestReader;
  // Identity and host paths, as src/up/host-view.ts decides them:
  fleet?: string; // --fleet / $DOM0_FLEET, validated by the caller: wins over `name:`
  origin?: string; // Manifest.origin (default: the absolute path of the first file); the default fleet name derives from its directory
  bindSource?: BindSourceHook;
  /** --profile: the active profiles (default: $DOM0_PROFILES, else $COMPOSE_PROFILES, from the environment or `.env`). */
  profiles?: readonly string[];
  /** The manifest text of `-` (stdin), read once by the caller. */
  stdin?: string | Buffer;
  /** --target: wins over the manifest's `target:` (single: one host, whatever the manifest says). */
  target?: 'single' | 'swarm';
}

/** One file or several (`-f a -f b`: merged in order, as Compose does); `-` is stdin. */
export type ManifestFiles = string | readonly string[];

export async function loadManifest(files: ManifestFiles, opts: Omit<LoadOptions, 'readFile'> = {}): Promise<LoadResult> {
  const list = typeof files === 'string' ? [files] : files;
  const inputs: ComposeInput[] = [];
  for (const file of list) {
    if (file === STDIN) {
      inputs.push({ file, text: opts.stdin ?? '' });
      continue;
    }
    const read = readManifestFile(file);
    if (!read.ok) return read;
    inputs.push({ file, text: read.bytes });
  }
  return loadManifestTexts(inputs, { ...opts, env: opts.env ?? process.env, readFile: readSideFile, readManifest: opts.readManifest ?? readManifestBytes });
}

/** The manifest's bytes, read once: `dom0 up` validates, applies and saves as last-good this very buffer. */
export function readManifestFile(file: string): { ok: true; bytes: Buffer } | { ok: false; diagnostics: Diagnostic[] } {
  const r = readCapped(file, MAX_MANIFEST_BYTES);
  if (r.ok) return r;
  const message = /^too large/.test(r.error) ? `manifest is ${r.error}` : `cannot read manifest: ${r.error}`;
  return { ok: false, diagnostics: [{ file, line: 1, col: 1, message }] };
}

export function loadManifestText(text: string | Buffer, file: string, opts: LoadOptions = {}): LoadResult {
  return loadManifestTexts([{ file, text }], opts);
}

/** Several files (the text of each given, or read through opts.readManifest), merged in order. */
export function loadManifestTexts(inputs: readonly ComposeInput[], opts: LoadOptions = {}): LoadResult {
  const first = inputs[0]?.file === STDIN ? STDIN_NAME : (inputs[0]?.file ?? STDIN_NAME);
  try {
    return withSuggestionBudget(100_000, () => load(inputs, opts));
  } catch (e) {
    // Last resort: a bug must still surface as a diagnostic, never as a crash of the caller.
    return { ok: false, diagnostics: [{ file: first, line: 1, col: 1, message: `internal error while loading the manifest: ${(e as Error)?.message ?? String(e)}` }] };
  }
}

function load(inputs: readonly ComposeInput[], opts: LoadOptions): LoadResult {
  const files = inputs; // diagnostics name each file as it was given
  const abs = resolve(files[0]!.file === STDIN ? join(process.cwd(), STDIN) : files[0]!.file);
  const dir = dirname(abs);
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const sink = { errors, warnings, seenUnset: new Set<string>() };
  const readFile = opts.readFile ?? readSideFile;
  const readManifest: ManifestReader = opts.readManifest ?? (opts.readFile ?? readManifestBytes);
  const processEnv = opts.env ?? process.env;

  const env = projectEnvironment(processEnv, dir, readFile, sink);
  const home = homeOf(env);
  const project = composeProject(files, { processEnv, env, readFile, readManifest, sink, projectDir: dir });
  if (!project) return { ok: false, diagnostics: sortDiagnostics(dedupeDiagnostics([...errors, ...warnings])) };
  const data = project.value;
  const locate = composedLocator(data, project.origin);
  const report: Reporter = (path, message, atKey = false) => errors.push({ ...locate(path, atKey), message });
  const warn: Reporter = (path, message, atKey = false) => warnings.push({ ...locate(path, atKey), message });

  const disabled = selectProfiles(data, activeProfiles(opts.profiles, env), report);

  const origin = opts.origin ?? abs;
  const model = buildModel(data, abs, dir, locate, report, { fleet: opts.fleet, hostDir: dirname(origin) });
  if (opts.target === 'swarm') model.target = 'swarm';
  else if (opts.target === 'single') delete model.target;
  const manifest = normalize(model, { env, home, readFile, report, warn, origin, bindSource: opts.bindSource });
  checkRules(model, manifest, report);
  if (model.target === 'swarm') {
    checkSwarmRules(model, report);
    manifest.target = model.target;
    manifest.swarmDeploy = swarmDeploys(model, report);
    // Swarm reads these deploy keys: the one-host warning that they are ignored does not apply.
    for (let i = warnings.length - 1; i >= 0; i--) if (/it is a Swarm setting|outside a Swarm cluster/.test(warnings[i]!.message)) warnings.splice(i, 1);
  } else checkOneHostRules(model, report);
  if (disabled.length > 0) manifest.disabled = disabled;

  if (errors.length > 0) {
    return { ok: false, diagnostics: sortDiagnostics(dedupeDiagnostics([...errors, ...warnings])) };
  }
  // From here on every log line and every output is scrubbed of the registry credentials.
  for (const c of Object.values(manifest.registries)) {
    registerSecret(c.password);
    registerSecret(c.identityToken);
  }
  return { ok: true, manifest, warnings: sortDiagnostics(warnings) };
}

function validate<T>(schema: z.ZodType<T>, value: unknown, base: Path, label: string, data: unknown, report: Reporter): T | undefined {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  for (const p of placeIssues(r.error.issues, base, data, label)) report(p.path, p.message, p.atKey);
  return undefined;
}

function buildModel(
  data: Record<string, unknown>,
  file: string,
  dir: string,
  locate: (path: Path, atKey?: boolean) => Place,
  report: Reporter,
  id: { fleet?: string; hostDir: string },
): Model {
  const top = validate(topSchema, data, [], 'manifest', data, report);
  const written = top?.name ?? (typeof data.name === 'string' && FLEET_NAME.test(data.name) ? data.name : undefined);
  const model: Model = {
    file,
    dir,
    name: fleetName({ flag: id.fleet, manifest: written, hostDir: id.hostDir }),
    pullPolicy: (top?.pull_policy ?? 'missing') as PullPolicy,
    ...(top?.target ? { target: top.target } : {}),
    entries: [],
    volumes: new Map(),
    networks: new Map(),
    registries: new Map(),
    secrets: new Map(),
    configs: new Map(),
  };

  const files: string[] = [];
  const fileRank = (f: string) => (files.includes(f) ? files.indexOf(f) : files.push(f) - 1);
  fileRank(file);
  const rank = new Map<string, number>();
  // Each definition is validated on its own so one broken entry does not hide the others' errors.
  const each = <T>(section: string, schema: z.ZodType<T>, add: (key: string, spec: T | undefined, raw: unknown) => void): void => {
    const sec = data[section];
    if (kindOf(sec) !== 'object') return;
    for (const [key, raw] of Object.entries(sec as Record<string, unknown>)) {
      if (key.startsWith('x-')) continue;
      add(key, validate(schema, raw ?? {}, [section, key], key, raw ?? {}, report), raw);
    }
  };
  each('volumes', volumeSchema, (k, v) => model.volumes.set(k, v));
  each('networks', networkSchema, (k, v) => model.networks.set(k, v));
  each('registries', registrySchema, (k, v) => model.registries.set(k, v));
  each('secrets', fileObjectSchema, (k, v) => model.secrets.set(k, v));
  each('configs', fileObjectSchema, (k, v) => model.configs.set(k, v));
  for (const section of SECTIONS) {
    const [schema, shape] = section === 'volume_containers' ? [volumeContainerSchema, volumeContainerShape] : [containerSchema, containerShape];
    each(section, schema as z.ZodType<unknown>, (key, spec, raw) => {
      const place = locate([section, key], true);
      const position = { line: place.line, col: place.col };
      rank.set(key, fileRank(place.file));
      const { fields, invalid } = spec ? { fields: spec as object, invalid: new Set<string>() } : validFields(shape, raw);
      model.entries.push({ section, kind: KIND_OF[section], key, position, spec, fields, invalid } as Entry);
    });
  }
  // Document order; with several files, the first file's entries first.
  model.entries.sort((a, b) => rank.get(a.key)! - rank.get(b.key)! || a.position.line - b.position.line || a.position.col - b.position.col);
  return model;
}
