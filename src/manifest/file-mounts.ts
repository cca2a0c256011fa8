// Compose `secrets` and `configs` on one host. A `file:` one is bind-mounted read-only into the
// containers that reference it (as Compose does without a Swarm): the loader never reads the file,
// only its path reaches the plan (on a Swarm its bytes are read instead: see FileSource). One
// from `environment:` or `content:` is written into the container after create, before start:
// its value stays in Manifest.fileContents, and only its digest reaches the spec (so a changed
// value recreates the container, and no label shows it).

import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { registerSecret } from '../redact.js';
import type { Path } from './diagnostics.js';
import type { Lookup } from './interpolate.js';
import type { Model } from './model.js';
import type { ParsedFileRef } from './schema.js';
import { didYouMean } from './suggest.js';
import type { ContainerSpec, FileCopy, Mount } from './types.js';
import { parseOctalMode } from './volumes.js';
import { createHash } from 'node:crypto';
import { readCapped } from './read-file.js';

export type FileKind = 'secrets' | 'configs';

/**
 * A usable definition: a host file to bind, or a value to write into the container. On a Swarm
 * (`target: swarm`) a `file:` one is read into a value (each node gets it from the Swarm object,
 * a bind would need the file on every node), and an `external` one is the existing object's name.
 */
export type FileSource = { bind: string } | { value: FileValue; digest: string } | { external: string };

/** A value to write: text (`environment:`, `content:`), or a file's bytes as read (`file:` on a Swarm). */
export type FileValue = string | Uint8Array;

/** Swarm's size limit of a secret's or config's data (500 KiB for secrets, 1000 KiB for configs). */
const SWARM_MAX_BYTES: Record<FileKind, number> = { secrets: 500 * 1024, configs: 1000 * 1024 };

const SINGULAR: Record<FileKind, string> = { secrets: 'secret', configs: 'config' };

/** Compose's default mode of a file written into the container (bind mounts keep the file's own). */
const DEFAULT_MODE = 0o444;

export interface FileMountContext {
  report(path: Path, message: string, atKey?: boolean): void;
  warn?(path: Path, message: string, atKey?: boolean): void;
  /** The manifest-relative (or ~) path → the bind mount source; reports its own errors. */
  bindSource(file: string, at: Path): { local: string; source: string };
  /** The variables `environment:` names (the process environment and .env, as interpolation sees them). */
  env: Lookup;
}

/** SHA-256 of the value's bytes (text as UTF-8): a file's bytes and its text hash alike. */
export function valueDigest(value: FileValue): string {
  return `sha256:${createHash('sha256').update(typeof value === 'string' ? Buffer.from(value, 'utf8') : value).digest('hex')}`;
}

/** Checks every top-level definition once; returns the usable ones by name. */
export function fileDefinitions(kind: FileKind, model: Model, ctx: FileMountContext): Map<string, FileSource> {
  const out = new Map<string, FileSource>();
  const one = SINGULAR[kind];
  for (const [name, d] of model[kind]) {
    if (!d) continue;
    const at: Path = [kind, name];
    const swarm = model.target === 'swarm';
    if (d.external) {
      if (swarm) out.set(name, { external: d.name ?? name });
      else ctx.report([...at, 'external'], `external ${kind} need a Swarm; on one host use \`file:\`, \`environment:\` or \`content:\``);
      continue;
    }
    const given = (['file', 'environment', 'content'] as const).filter((k) => d[k] !== undefined);
    if (given.length === 0) {
      ctx.report(at, `${one} \`${name}\` needs \`file:\` (a file to mount), \`environment:\` (a variable holding the value) or \`content:\``, true);
      continue;
    }
    if (given.length > 1) {
      ctx.report([...at, given[1]!], `${one} \`${name}\` sets ${given.map((k) => `\`${k}\``).join(' and ')}: set only one`);
      continue;
    }
    if (d.name !== undefined && !swarm) ctx.warn?.([...at, 'name'], `warning: \`name\` of a ${one} is ignored on one host (it names a Swarm object)`, true);
    if (d.environment !== undefined || d.content !== undefined) {
      const value = d.environment !== undefined ? ctx.env(d.environment) : d.content!;
      if (value === undefined) {
        ctx.report([...at, 'environment'], `environment variable ${d.environment} is not set (${one} \`${name}\` takes its value from it)`);
        continue;
      }
      if (kind === 'secrets') registerSecret(value);
      out.set(name, { value, digest: valueDigest(value) });
      continue;
    }
    const { local, source } = ctx.bindSource(d.file!, [...at, 'file']);
    const problem = notRegularFile(local);
    if (problem) {
      ctx.report([...at, 'file'], `${one} file ${d.file} ${problem}`);
      continue;
    }
    if (swarm) {
      const r = readCapped(local, SWARM_MAX_BYTES[kind]);
      if (!r.ok) {
        ctx.report([...at, 'file'], `${one} file ${d.file} ${r.error}`);
        continue;
      }
      // The bytes as read, sent as they are (Swarm takes base64 of raw bytes): binary content
      // arrives intact, and a UTF-8 file hashes as its text did when values travelled as text
      // (one starting with a BOM excepted: the text decode dropped its BOM, the bytes keep it).
      if (kind === 'secrets') registerSecretBytes(r.bytes);
      out.set(name, { value: r.bytes, digest: valueDigest(r.bytes) });
      continue;
    }
    out.set(name, { bind: source });
  }
  return out;
}

/** A secret file's forms that could show in text: its text when it is UTF-8, its base64 (the wire form) else. */
function registerSecretBytes(bytes: Uint8Array): void {
  try {
    registerSecret(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    registerSecret(Buffer.from(bytes).toString('base64'));
  }
}

/** The values to write into containers, by digest (Manifest.fileContents). */
export function fileContents(...defs: ReadonlyArray<ReadonlyMap<string, FileSource>>): Map<string, FileValue> {
  const out = new Map<string, FileValue>();
  for (const d of defs) for (const s of d.values()) if ('value' in s) out.set(s.digest, s.value);
  return out;
}

function notRegularFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? undefined : 'is not a regular file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  }
}

/** Default mount point: /run/secrets/<name> for secrets (a relative target is a name there), /<name> for configs. */
export function fileTarget(kind: FileKind, ref: ParsedFileRef): string {
  const t = ref.target ?? ref.source;
  if (posix.isAbsolute(t)) return t;
  return kind === 'secrets' ? posix.join('/run/secrets', t) : posix.join('/', t);
}

/**
 * A service's `secrets` and `configs` references: bind mounts appended to spec.volumes, values to
 * write into the container in spec.fileCopies. `at` is the service's path; `taken` its mount
 * targets so far (the engine refuses a duplicate).
 */
export function attachFiles(
  spec: ContainerSpec,
  refs: { secrets?: readonly ParsedFileRef[]; configs?: readonly ParsedFileRef[] },
  declared: { secrets: ReadonlyMap<string, FileSource>; configs: ReadonlyMap<string, FileSource> },
  model: Model,
  ctx: FileMountContext,
  at: Path,
  taken: Set<string>,
): void {
  const copies: FileCopy[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    (refs[kind] ?? []).forEach((ref, i) => {
      const here: Path = [...at, kind, i];
      const one = SINGULAR[kind];
      if (!model[kind].has(ref.source)) {
        ctx.report(here, `${one} \`${ref.source}\` is not declared under top-level \`${kind}\`${didYouMean(ref.source, model[kind].keys())}`);
        return;
      }
      const source = declared[kind].get(ref.source);
      const owner = source && !('bind' in source) ? ownership(ref, ctx, here) : undefined;
      if (source && 'bind' in source) {
        const ignored = (['uid', 'gid', 'mode'] as const).filter((k) => ref[k] !== undefined);
        if (ignored.length > 0) {
          const keys = ignored.map((k) => `\`${k}\``).join(', ');
          ctx.warn?.(here, `warning: ${keys} cannot be applied to a file-based ${one} (a bind mount keeps the file's owner and mode); ignored, as Compose does`);
        }
      }
      if (source === undefined) return; // the definition's error is already reported
      const target = fileTarget(kind, ref);
      if (taken.has(target)) {
        ctx.report(here, `${one} \`${ref.source}\` would be mounted at ${target}, where something else is already mounted; set another \`target\``);
        return;
      }
      taken.add(target);
      if ('bind' in source) {
        spec.volumes.push({ type: 'bind', source: source.bind, target, readOnly: true } satisfies Mount);
        return;
      }
      if (!owner) return;
      if ('external' in source) {
        copies.push({ target, digest: '', external: source.external, ...(kind === 'configs' ? { config: true } : {}), ...owner });
        return;
      }
      if (spec.readOnly && model.target !== 'swarm') {
        ctx.report(here, `${one} \`${ref.source}\` is written into the container, which \`read_only: true\` forbids; use a \`file:\` ${one} (bind-mounted) instead`);
        return;
      }
      copies.push({ target, digest: source.digest, ...(kind === 'configs' && model.target === 'swarm' ? { config: true } : {}), ...owner });
    });
  }
  if (copies.length > 0) spec.fileCopies = copies;
}

/** uid, gid (numbers, as Compose takes them) and mode (octal, default 0444) of a written file. */
function ownership(ref: ParsedFileRef, ctx: FileMountContext, here: Path): Omit<FileCopy, 'target' | 'digest'> | undefined {
  const out: Omit<FileCopy, 'target' | 'digest'> = { mode: DEFAULT_MODE };
  let ok = true;
  for (const k of ['uid', 'gid'] as const) {
    const v = ref[k];
    if (v === undefined) continue;
    if (!/^\d{1,7}$/.test(v) || Number(v) > 0o7777777) {
      ctx.report([...here, k], `invalid ${k} ${JSON.stringify(v)}: expected a numeric ID`);
      ok = false;
    } else out[k] = Number(v);
  }
  if (ref.mode !== undefined) {
    const m = parseOctalMode(ref.mode);
    if (m.ok) out.mode = m.value;
    else {
      ctx.report([...here, 'mode'], m.error);
      ok = false;
    }
  }
  return ok ? out : undefined;
}
