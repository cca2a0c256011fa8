// Which files make up a fleet: the manifest and every file it references (`.env`, env_file,
// label_file, password_file, include, extends.file, secrets/configs `file:`), found by loading the
// manifest with readers that record what the loader asks for, fetching those, and loading again
// until nothing new is asked. The loader itself decides what is read, so nothing here duplicates
// its rules. secrets/configs `file:` are bind-mounted, never read by the loader: they are taken
// from each Compose file's top-level `secrets:`/`configs:`. Absolute paths are this host's own
// files (per-host secrets stay local) and are never fetched; a path leading out of the source
// ("../x") is refused. Build contexts are not fetched.
import { isAbsolute, posix } from 'node:path';
import { parse } from 'yaml';
import { loadManifestText } from '../../manifest/load.js';
import { readSideFile } from '../../manifest/read-file.js';
import { validIndexPath } from './index-file.js';

/** A file of the source by relative path: its bytes, or null when the source has no such file. */
export type SourceReader = (rel: string) => Promise<Buffer | null>;

export interface Collected {
  manifest: string;
  /** Relative path → bytes, the manifest included; files the source does not have are absent. */
  files: Map<string, Buffer>;
}

const MAX_ROUNDS = 16;
export const MAX_FILES = 256;
// A root no host has: the discovery loads read nothing from it but through the recording readers.
// Deep, so that a path climbing out of it ("../x") still lands under JAIL and is recognised.
const JAIL = '/.dom0-source';
const ROOT = `${JAIL}/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16`;

export async function collect(manifest: string, read: SourceReader): Promise<Collected> {
  const seen = new Map<string, Buffer | null>();
  const first = await read(manifest);
  if (first === null) throw new Error(`the source has no ${manifest}`);
  seen.set(manifest, first);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wanted = new Set<string>();
    const outside: string[] = [];
    const composeFiles = new Set<string>([manifest]);
    const lookup = (abs: string): Buffer | undefined | { error: string } | 'host' => {
      if (!abs.startsWith(`${ROOT}/`) || !validIndexPath(abs.slice(ROOT.length + 1))) {
        if (!abs.startsWith(`${JAIL}/`)) return 'host';
        outside.push(abs);
        return { error: 'outside the source' };
      }
      const rel = abs.slice(ROOT.length + 1);
      if (!seen.has(rel)) {
        wanted.add(rel);
        return undefined;
      }
      return seen.get(rel) ?? undefined;
    };
    const readFile = (abs: string) => {
      const r = lookup(abs);
      if (r === 'host') return readSideFile(abs);
      return Buffer.isBuffer(r) ? r.toString('utf8') : r;
    };
    const readManifest = (abs: string) => {
      const r = lookup(abs);
      if (r === 'host') return readSideFile(abs);
      if (Buffer.isBuffer(r)) composeFiles.add(abs.slice(ROOT.length + 1));
      return r;
    };
    loadManifestText(first, `${ROOT}/${manifest}`, { env: process.env, readFile, readManifest });
    for (const f of composeFiles) {
      for (const rel of fileMounts(f, seen.get(f))) {
        if (!validIndexPath(rel)) outside.push(`${ROOT}/${rel}`);
        else if (!seen.has(rel)) wanted.add(rel);
      }
    }
    if (outside.length > 0) {
      const names = [...new Set(outside.map((p) => posix.relative(ROOT, posix.normalize(p))))];
      throw new Error(`the manifest refers to files outside the source: ${names.join(', ')}`);
    }
    if (wanted.size === 0) break;
    if (seen.size + wanted.size > MAX_FILES) throw new Error(`the manifest refers to more than ${MAX_FILES} files`);
    for (const rel of wanted) seen.set(rel, await read(rel));
  }
  const files = new Map<string, Buffer>();
  for (const [rel, b] of seen) if (b !== null) files.set(rel, b);
  return { manifest, files };
}

/** The secrets/configs `file:` of one Compose file, relative to the source root. */
function fileMounts(rel: string, bytes: Buffer | null | undefined): string[] {
  if (!bytes) return [];
  let doc: unknown;
  try {
    doc = parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const out: string[] = [];
  if (!doc || typeof doc !== 'object') return out;
  for (const kind of ['secrets', 'configs'] as const) {
    const defs = (doc as Record<string, unknown>)[kind];
    if (!defs || typeof defs !== 'object') continue;
    for (const d of Object.values(defs as Record<string, unknown>)) {
      const file = d && typeof d === 'object' ? (d as { file?: unknown }).file : undefined;
      if (typeof file !== 'string' || isAbsolute(file) || file.startsWith('~') || file.includes('${')) continue;
      out.push(posix.normalize(posix.join(posix.dirname(rel), file)));
    }
  }
  return out;
}

/** True when the manifest sets its fleet's `name:` (a farm host cannot name it after a directory). */
export function setsName(bytes: Buffer): boolean {
  try {
    const doc = parse(bytes.toString('utf8')) as Record<string, unknown> | null;
    return typeof doc?.name === 'string' && doc.name !== '';
  } catch {
    return false;
  }
}
