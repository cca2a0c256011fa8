// Entry point: dom0.yaml → LoadResult. Never throws for bad input; every problem is a
// diagnostic at FILE:LINE:COL, all of them reported at once, sorted by position.

import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { dedupeDiagnostics, sortDiagnostics, type Path } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { FLEET_NAME, fleetName } from './fleet-name.js';
import type { BindSourceHook } from './host-paths.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { placeIssues } from './issues.js';
import { KIND_OF, type Entry, type Model, type Reporter } from './model.js';
import { normalize } from './normalize.js';
import { parseYaml, type Located } from './parse.js';
import { readCapped, readSideFile } from './read-file.js';
import { checkRules } from './rules.js';
import {
  containerSchema,
  containerShape,
  isComposeFileVersion,
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

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  /** A file the manifest names: its text, undefined if it does not exist, or why it cannot be used. */
  readFile?: SideFileReader;
  // Identity and host paths, as src/up/host-view.ts decides them:
  fleet?: string; // --fleet / $DOM0_FLEET, validated by the caller: wins over `name:`
  origin?: string; // Manifest.origin (default: the absolute path given); the default fleet name derives from its directory
  bindSource?: BindSourceHook;
}

export type SideFileReader = (path: string) => string | undefined | { error: string };

export async function loadManifest(file: string, opts: Omit<LoadOptions, 'readFile'> = {}): Promise<LoadResult> {
  const read = readManifestFile(file);
  if (!read.ok) return read;
  return loadManifestText(read.bytes, file, { ...opts, env: opts.env ?? process.env, readFile: readSideFile });
}

/** The manifest's bytes, read once: `dom0 up` validates, applies and saves as last-good this very buffer. */
export function readManifestFile(file: string): { ok: true; bytes: Buffer } | { ok: false; diagnostics: Diagnostic[] } {
  const r = readCapped(file, MAX_MANIFEST_BYTES);
  if (r.ok) return r;
  const message = /^too large/.test(r.error) ? `manifest is ${r.error}` : `cannot read manifest: ${r.error}`;
  return { ok: false, diagnostics: [{ file, line: 1, col: 1, message }] };
}

export function loadManifestText(text: string | Buffer, file: string, opts: LoadOptions = {}): LoadResult {
  try {
    return withSuggestionBudget(100_000, () => load(text, file, opts));
  } catch (e) {
    // Last resort: a bug must still surface as a diagnostic, never as a crash of the caller.
    return { ok: false, diagnostics: [{ file, line: 1, col: 1, message: `internal error while loading the manifest: ${(e as Error)?.message ?? String(e)}` }] };
  }
}

function tooLarge(size: number): string {
  return `manifest is too large (${size} bytes; the limit is ${MAX_MANIFEST_BYTES})`;
}

function decode(text: string | Buffer): { ok: true; text: string } | { ok: false; offset: number; message: string } {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > MAX_MANIFEST_BYTES) return { ok: false, offset: 0, message: tooLarge(size) };
  if (typeof text === 'string') return { ok: true, text: text.replace(/^\uFEFF/, '') };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(text) };
  } catch {
    const offset = firstInvalidUtf8(text);
    return { ok: false, offset, message: `manifest is not valid UTF-8 (invalid byte 0x${(text[offset] ?? 0).toString(16).padStart(2, '0')})` };
  }
}

/** Byte offset of the first malformed UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong encodings and surrogates are also invalid; TextDecoder caught something, so be precise.
    if (n === 2 && ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f))) return i;
    if (n === 3 && ((c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f))) return i;
    i += n + 1;
  }
  return 0;
}

function lineColOf(text: string | Buffer, offset: number): { line: number; col: number } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: offset - start + 1 };
}

function load(input: string | Buffer, file: string, opts: LoadOptions): LoadResult {
  const decoded = decode(input);
  if (!decoded.ok) return { ok: false, diagnostics: [{ file, ...lineColOf(input, decoded.offset), message: decoded.message }] };

  const parsed = parseYaml(decoded.text);
  if (!parsed.ok) {
    return { ok: false, diagnostics: sortDiagnostics(parsed.errors.map((e) => ({ file, ...e.pos, message: e.message }))) };
  }
  const doc = parsed.result;
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = doc.warnings.map((w) => ({ file, ...w.pos, message: w.message }));
  const report: Reporter = (path, message, atKey = false) => errors.push({ file, ...doc.locate(path, atKey), message });

  if (kindOf(doc.value) !== 'object') {
    report([], `manifest must be a mapping of top-level keys (services:, jobs:, ...), got ${describe(doc.value)}`);
    return { ok: false, diagnostics: errors };
  }

  const abs = resolve(file);
  const dir = dirname(abs);
  const readFile = opts.readFile ?? readSideFile;
  const env = environment(opts.env ?? process.env, dir, readFile, errors, warnings);
  const home = env('HOME') ?? homedir();

  const seenUnset = new Set<string>();
  const data = interpolateTree(doc.value, env, {
    onError: (path, message) => report(path, message),
    onUnset: (path, name) => {
      if (seenUnset.has(name)) return;
      seenUnset.add(name);
      warnings.push({ file, ...doc.locate(path), message: `warning: variable ${name} is not set; using an empty string` });
    },
  }) as Record<string, unknown>;

  if (isComposeFileVersion(data.version)) {
    const v = JSON.stringify(String(data.version));
    warnings.push({ file, ...doc.locate(['version']), message: `warning: \`version: ${v}\` is a Compose file version; it is ignored, as Compose v2 does (remove it, or write \`version: 1\`)` });
  }

  const origin = opts.origin ?? abs;
  const model = buildModel(data, abs, dir, doc, report, { fleet: opts.fleet, hostDir: dirname(origin) });
  const warn: Reporter = (path, message, atKey = false) => warnings.push({ file, ...doc.locate(path, atKey), message });
  const manifest = normalize(model, { env, home, readFile, report, warn, origin, bindSource: opts.bindSource });
  checkRules(model, manifest, report);

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

function describe(v: unknown): string {
  const k = kindOf(v);
  return k === 'array' ? 'a list' : k === 'null' ? 'nothing' : `a ${k ?? typeof v}`;
}

/** Process env over `.env` beside the manifest, as in Compose. */
function environment(
  processEnv: Record<string, string | undefined>,
  dir: string,
  readFile: SideFileReader,
  errors: Diagnostic[],
  warnings: Diagnostic[],
): Lookup {
  const fromProcess: Lookup = (name) => (Object.hasOwn(processEnv, name) ? processEnv[name] : undefined);
  const dotenvPath = join(dir, '.env');
  const text = readFile(dotenvPath);
  if (text === undefined) return fromProcess;
  if (typeof text !== 'string') {
    errors.push({ file: dotenvPath, line: 1, col: 1, message: `cannot read .env: ${text.error}` });
    return fromProcess;
  }
  const parsed = parseDotenv(text, fromProcess);
  if (!parsed.ok) {
    errors.push({ file: dotenvPath, line: parsed.line, col: parsed.col, message: parsed.error });
    return fromProcess;
  }
  const warned = new Set<string>();
  for (const u of parsed.unset) {
    if (warned.has(u.name)) continue;
    warned.add(u.name);
    warnings.push({ file: dotenvPath, line: u.line, col: u.col, message: `warning: variable ${u.name} is not set; using an empty string` });
  }
  const dot = parsed.values;
  return (name) => fromProcess(name) ?? (Object.hasOwn(dot, name) ? dot[name] : undefined);
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
  doc: Located,
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
    entries: [],
    volumes: new Map(),
    networks: new Map(),
    registries: new Map(),
    secrets: new Map(),
    configs: new Map(),
  };

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
      const position = doc.locate([section, key], true);
      const { fields, invalid } = spec ? { fields: spec as object, invalid: new Set<string>() } : validFields(shape, raw);
      model.entries.push({ section, kind: KIND_OF[section], key, position, spec, fields, invalid } as Entry);
    });
  }
  model.entries.sort((a, b) => a.position.line - b.position.line || a.position.col - b.position.col);
  return model;
}
