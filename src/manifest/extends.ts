// `extends:` on an entry, as compose-go resolves it: the base (a service of the same file, or
// `{service, file}` of another file, whose relative paths then name places beside that file) is
// itself resolved first, its `depends_on` and `volumes_from` are not inherited, and the entry is
// merged onto it with the rules of a second -f file. A cycle is an error at the `extends` that
// closes it. dom0's `jobs` extend like services; a name is looked up in the entry's own section
// first, then among the services and jobs of that file.

import { dirname, resolve } from 'node:path';
import type { Lookup } from './interpolate.js';
import { loadLayer, type Layer, type ManifestReader, type Sink } from './layer.js';
import { extendService, stripTags } from './merge.js';
import { childOrigin, markChild, placeOf, type Origin } from './provenance.js';
import { rebaseProject } from './relative-paths.js';
import { SECTIONS } from './schema.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Not inherited from the base: they tie the base to other services. */
const NOT_INHERITED = ['depends_on', 'volumes_from'];

export interface ExtendsContext {
  env: Lookup;
  readManifest: ManifestReader;
  sink: Sink;
  /** Other files read for `extends`, by absolute path: read once per load. */
  files?: Map<string, Layer | undefined>;
}

interface Ref {
  layer: Layer;
  section: string;
  name: string;
}

const keyOf = (r: Ref) => `${r.layer.file}#${r.section}.${r.name}`;

/** Resolves every `extends` of the layer, in place. */
export function resolveExtends(layer: Layer, ctx: ExtendsContext): void {
  ctx.files ??= new Map();
  const done = new Set<string>();
  for (const section of SECTIONS) {
    const sec = layer.value[section];
    if (!isObj(sec)) continue;
    for (const name of Object.keys(sec)) resolveEntry({ layer, section, name }, ctx, done, []);
    // What could not be resolved was reported; the rest of the load must not see the key.
    for (const e of Object.values(sec)) if (isObj(e)) delete e.extends;
  }
}

function report(ctx: ExtendsContext, origin: Origin, message: string, atKey = false): void {
  ctx.sink.errors.push({ ...placeOf(origin, atKey), message });
}

function entryOrigin(r: Ref): Origin {
  const sec = r.layer.value[r.section];
  return childOrigin(sec, childOrigin(r.layer.value, r.layer.origin, r.section), r.name);
}

/** The entry with its `extends` resolved (undefined when it cannot be). */
function resolveEntry(r: Ref, ctx: ExtendsContext, done: Set<string>, chain: Ref[]): Obj | undefined {
  const sec = r.layer.value[r.section] as Obj;
  const entry = sec[r.name];
  if (!isObj(entry)) return undefined;
  if (!Object.hasOwn(entry, 'extends')) return entry; // plain, or resolved already
  const origin = entryOrigin(r);
  const extOrigin = childOrigin(entry, origin, 'extends');
  const i = chain.findIndex((c) => keyOf(c) === keyOf(r));
  if (i >= 0) {
    const names = [...chain.slice(i), r].map((c) => (c.layer === r.layer ? c.name : `${c.name} (${c.layer.file})`));
    report(ctx, extOrigin, `extends cycle: ${names.join(' → ')}`);
    return undefined;
  }
  if (done.has(keyOf(r))) return undefined; // failed, already reported
  done.add(keyOf(r));

  const ext = stripTags(entry.extends);
  const spec = typeof ext === 'string' ? { service: ext } : isObj(ext) ? ext : undefined;
  if (!spec || typeof spec.service !== 'string' || spec.service === '' || (spec.file !== undefined && typeof spec.file !== 'string')) {
    report(ctx, extOrigin, 'extends must be a service name or a mapping with `service` (and optionally `file`)');
    return undefined;
  }
  let from = r.layer;
  if (typeof spec.file === 'string') {
    const other = otherFile(resolve(r.layer.dir, spec.file), ctx, childOrigin(isObj(ext) ? ext : {}, extOrigin, 'file'));
    if (!other) return undefined;
    from = other;
  }
  const base = findBase(from, r.section, spec.service);
  if (!base) {
    const where = from === r.layer ? '' : ` in ${from.file}`;
    report(ctx, extOrigin, `${r.name} extends ${JSON.stringify(spec.service)}, which is not defined${where}`);
    return undefined;
  }
  const resolved = resolveEntry(base, ctx, done, [...chain, r]);
  if (!resolved) return undefined;

  const baseOrigin = entryOrigin(base);
  const source: Obj = {};
  for (const [k, v] of Object.entries(resolved)) {
    if (NOT_INHERITED.includes(k)) continue;
    source[k] = v;
    markChild(source, k, childOrigin(resolved, baseOrigin, k));
  }
  const over: Obj = {};
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'extends') continue;
    over[k] = v;
    markChild(over, k, childOrigin(entry, origin, k));
  }
  const merged = extendService(source, over, { base: baseOrigin, over: origin }, (o, message) => report(ctx, o, message));
  sec[r.name] = merged;
  return merged;
}

function findBase(layer: Layer, section: string, name: string): Ref | undefined {
  for (const s of [section, ...SECTIONS.filter((x) => x !== section && x !== 'volume_containers')]) {
    const sec = layer.value[s];
    if (isObj(sec) && isObj(sec[name])) return { layer, section: s, name };
  }
  return undefined;
}

function otherFile(path: string, ctx: ExtendsContext, at: Origin): Layer | undefined {
  const files = ctx.files!;
  if (files.has(path)) {
    const l = files.get(path);
    if (!l) report(ctx, at, `cannot extend from ${path}: it has errors (reported)`);
    return l;
  }
  files.set(path, undefined);
  const raw = ctx.readManifest(path);
  if (raw === undefined || (typeof raw === 'object' && !Buffer.isBuffer(raw))) {
    report(ctx, at, `cannot read ${path}: ${raw === undefined ? 'no such file' : raw.error}`);
    return undefined;
  }
  const layer = loadLayer(raw, path, dirname(path), ctx.env, ctx.sink);
  if (!layer) return undefined;
  rebaseProject(layer.value, layer.dir);
  files.set(path, layer);
  return layer;
}
