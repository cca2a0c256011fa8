// One Compose file of a project, read on its own: bytes → YAML with positions → interpolated
// with the project's environment → `!reset`/`!override` markers in place. Layers are then
// combined (compose.ts): merged in -f order, included, extended.
// Also the project's environment: the process environment over `.env` of the project directory.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Path } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { applyTags } from './merge.js';
import { parseYaml } from './parse.js';
import { markRoot, type Origin, type Source } from './provenance.js';
import { readCapped } from './read-file.js';
import { isComposeFileVersion, kindOf } from './schema.js';
import type { Diagnostic } from './types.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A file the manifest names: its text, undefined if it does not exist, or why it cannot be used. */
export type SideFileReader = (path: string) => string | undefined | { error: string };
/** The same for a Compose file (an included or extended one): bytes or text. */
export type ManifestReader = (path: string) => string | Buffer | undefined | { error: string };

export interface Layer {
  file: string; // absolute path (or `-` for stdin)
  dir: string; // its directory
  value: Record<string, unknown>;
  origin: Origin;
}

/** Where problems go while a project is read; `seenUnset` keeps one warning per unset variable. */
export interface Sink {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  seenUnset: Set<string>;
}

/** A manifest file's bytes, with the manifest's size cap. */
export function readManifestBytes(path: string): string | Buffer | undefined | { error: string } {
  const r = readCapped(path, MAX_MANIFEST_BYTES);
  if (r.ok) return r.bytes;
  return r.missing ? undefined : { error: r.error };
}

/** Reads one file as a layer; undefined (with the reasons in `sink`) when it is not a YAML mapping. */
export function loadLayer(input: string | Buffer, file: string, dir: string, env: Lookup, sink: Sink): Layer | undefined {
  const decoded = decode(input);
  if (!decoded.ok) {
    sink.errors.push({ file, ...lineColOf(input, decoded.offset), message: decoded.message });
    return undefined;
  }
  const parsed = parseYaml(decoded.text);
  if (!parsed.ok) {
    for (const e of parsed.errors) sink.errors.push({ file, ...e.pos, message: e.message });
    return undefined;
  }
  const doc = parsed.result;
  for (const w of doc.warnings) sink.warnings.push({ file, ...w.pos, message: w.message });
  const at = (path: Path) => ({ file, ...doc.locate(path) });
  if (kindOf(doc.value) !== 'object') {
    sink.errors.push({ ...at([]), message: `manifest must be a mapping of top-level keys (services:, jobs:, ...), got ${describe(doc.value)}` });
    return undefined;
  }
  const value = interpolateTree(doc.value, env, {
    onError: (path, message) => sink.errors.push({ ...at(path), message }),
    onUnset: (path, name) => {
      if (sink.seenUnset.has(name)) return;
      sink.seenUnset.add(name);
      sink.warnings.push({ ...at(path), message: `warning: variable ${name} is not set; using an empty string` });
    },
  }) as Record<string, unknown>;
  if (isComposeFileVersion(value.version)) {
    const v = JSON.stringify(String(value.version));
    sink.warnings.push({ ...at(['version']), message: `warning: \`version: ${v}\` is a Compose file version; it is ignored, as Compose v2 does (remove it, or write \`version: 1\`)` });
  }
  applyTags(value, doc.tags);
  const src: Source = { file, locate: doc.locate };
  const origin: Origin = { src, path: [] };
  markRoot(value, origin);
  return { file, dir, value, origin };
}

function describe(v: unknown): string {
  const k = kindOf(v);
  return k === 'array' ? 'a list' : k === 'null' ? 'nothing' : `a ${k ?? typeof v}`;
}

/** The home directory interpolation and `~` paths use. */
export function homeOf(env: Lookup): string {
  return env('HOME') ?? homedir();
}

/**
 * Process env over the dotenv files of a project (default: `.env` in its directory), as in
 * Compose. `envFiles` (include's `env_file`) replace `.env`; a later file wins over an earlier one.
 */
export function projectEnvironment(
  processEnv: Record<string, string | undefined>,
  dir: string,
  readFile: SideFileReader,
  sink: Pick<Sink, 'errors' | 'warnings'>,
  envFiles?: readonly string[],
): Lookup {
  const fromProcess: Lookup = (name) => (Object.hasOwn(processEnv, name) ? processEnv[name] : undefined);
  const files = envFiles ?? [join(dir, '.env')];
  const dot: Record<string, string> = {};
  const warned = new Set<string>();
  for (const path of files) {
    const raw = readFile(path);
    if (raw === undefined) {
      if (envFiles) sink.errors.push({ file: path, line: 1, col: 1, message: 'cannot read env_file: no such file' });
      continue;
    }
    if (typeof raw !== 'string') {
      sink.errors.push({ file: path, line: 1, col: 1, message: `cannot read ${envFiles ? 'env_file' : '.env'}: ${raw.error}` });
      continue;
    }
    const parsed = parseDotenv(raw, (name) => fromProcess(name) ?? (Object.hasOwn(dot, name) ? dot[name] : undefined));
    if (!parsed.ok) {
      sink.errors.push({ file: path, line: parsed.line, col: parsed.col, message: parsed.error });
      continue;
    }
    for (const u of parsed.unset) {
      if (warned.has(u.name)) continue;
      warned.add(u.name);
      sink.warnings.push({ file: path, line: u.line, col: u.col, message: `warning: variable ${u.name} is not set; using an empty string` });
    }
    Object.assign(dot, parsed.values);
  }
  return (name) => fromProcess(name) ?? (Object.hasOwn(dot, name) ? dot[name] : undefined);
}

export function tooLarge(size: number): string {
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
