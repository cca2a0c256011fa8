// Compose's merge of one file onto another (docker compose -f a.yaml -f b.yaml, and `extends`),
// rule for rule as compose-go's override package does it: mappings merge key by key, sequences
// append, and the paths below follow their own rule (command/entrypoint replace, environment and
// labels merge by name in list or map form, volumes by target, ports and the rest append unique).
// `!reset` drops the value underneath, `!override` replaces it instead of merging.
//
// Pure: the inputs are not modified, except that values adopted whole lose their tag markers.
// Merged objects record where each of their children came from (provenance.ts).

import type { Path } from './diagnostics.js';
import type { MergeTag } from './parse.js';
import { childOrigin, markChild, type Origin } from './provenance.js';
import { SECTIONS } from './schema.js';

/** A `!reset` value. */
export const RESET: unique symbol = Symbol('!reset');
/** A `!override` value. */
export class Override {
  constructor(readonly value: unknown) {}
}

export type MergeErrorReporter = (origin: Origin, message: string) => void;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Override);

/** Puts the markers of `tags` into `value` (a file's tree, fresh from interpolation: modified in place). */
export function applyTags(value: unknown, tags: ReadonlyArray<{ path: Path; tag: MergeTag }>): void {
  // Deepest first, so an `!override` around a tagged child wraps the already-marked child.
  const sorted = [...tags].sort((a, b) => b.path.length - a.path.length);
  for (const { path, tag } of sorted) {
    if (path.length === 0) continue;
    let node: unknown = value;
    for (const seg of path.slice(0, -1)) node = node instanceof Override ? node.value : (node as Obj | undefined)?.[seg as string];
    if (node instanceof Override) node = node.value;
    if (node === null || typeof node !== 'object') continue;
    const last = path[path.length - 1]! as string;
    const parent = node as Obj;
    if (!Object.hasOwn(parent, last)) continue;
    parent[last] = tag === 'reset' ? RESET : new Override(parent[last]);
  }
}

/** Removes the markers from a value taken as is: `!reset` entries go, `!override` values stay. In place. */
export function stripTags(v: unknown): unknown {
  if (v instanceof Override) return stripTags(v.value);
  if (Array.isArray(v)) {
    for (let i = v.length - 1; i >= 0; i--) {
      if (v[i] === RESET) v.splice(i, 1);
      else v[i] = stripTags(v[i]);
    }
    return v;
  }
  if (isObj(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === RESET) delete v[k];
      else v[k] = stripTags(v[k]);
    }
  }
  return v;
}

/** A whole file's tree merged onto the tree composed so far. */
export function mergeTrees(base: Obj, over: Obj, origins: { base: Origin; over: Origin }, report: MergeErrorReporter): Obj {
  return mergeMappings(base, over, [], origins.base, origins.over, report);
}

/** `extends`: the service `over` merged onto its base, as compose-go does (as a service at `services.x`). */
export function extendService(base: Obj, over: Obj, origins: { base: Origin; over: Origin }, report: MergeErrorReporter): Obj {
  return mergeMappings(base, over, ['services', 'x'], origins.base, origins.over, report);
}

// ---------------------------------------------------------------------------------------------

type Merger = (b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter) => unknown;

const keyBeforeEquals = (v: unknown): string => {
  const s = String(v);
  const i = s.indexOf('=');
  return i < 0 ? s : s.slice(0, i);
};

const SPECIAL: ReadonlyArray<[string, Merger]> = [
  ['networks.*.ipam.config', mergeIpamConfig],
  ['networks.*.labels', toSequence],
  ['volumes.*.labels', toSequence],
  ['services.*.annotations', toSequence],
  ['services.*.build', mergeBuild],
  ['services.*.build.args', toSequence],
  ['services.*.build.additional_contexts', toSequence],
  ['services.*.build.extra_hosts', toSequence],
  ['services.*.build.labels', toSequence],
  ['services.*.command', replace],
  ['services.*.depends_on', mergeDependsOn],
  ['services.*.deploy.labels', toSequence],
  ['services.*.dns', toSequence],
  ['services.*.dns_opt', toSequence],
  ['services.*.dns_search', toSequence],
  ['services.*.entrypoint', replace],
  ['services.*.env_file', toSequence],
  ['services.*.label_file', toSequence],
  ['services.*.environment', toSequence],
  ['services.*.extra_hosts', toSequence],
  ['services.*.healthcheck.test', replace],
  ['services.*.labels', toSequence],
  ['services.*.logging', mergeLogging],
  ['services.*.networks', mergeNetworks],
  ['services.*.sysctls', toSequence],
  ['services.*.tmpfs', toSequence],
  ['services.*.ulimits.*', mergeUlimit],
];

/** Sequences whose items are unique by a key once merged: a later item with the same key replaces the earlier one. */
const UNIQUE: ReadonlyArray<[string, (item: unknown) => string | undefined]> = [
  ['networks.*.labels', keyBeforeEquals],
  ['volumes.*.labels', keyBeforeEquals],
  ['services.*.annotations', keyBeforeEquals],
  ['services.*.build.args', keyBeforeEquals],
  ['services.*.build.additional_contexts', keyBeforeEquals],
  ['services.*.build.labels', keyBeforeEquals],
  ['services.*.build.tags', keyBeforeEquals],
  ['services.*.build.extra_hosts', hostKey],
  ['services.*.cap_add', keyBeforeEquals],
  ['services.*.cap_drop', keyBeforeEquals],
  ['services.*.configs', mountKey('')],
  ['services.*.deploy.labels', keyBeforeEquals],
  ['services.*.devices', deviceKey],
  ['services.*.dns', keyBeforeEquals],
  ['services.*.dns_opt', keyBeforeEquals],
  ['services.*.dns_search', keyBeforeEquals],
  ['services.*.environment', keyBeforeEquals],
  ['services.*.env_file', envFileKey],
  ['services.*.label_file', (v) => String(v)],
  ['services.*.expose', (v) => String(v)],
  ['services.*.extra_hosts', hostKey],
  ['services.*.labels', keyBeforeEquals],
  ['services.*.links', keyBeforeEquals],
  ['services.*.networks.*.aliases', keyBeforeEquals],
  ['services.*.networks.*.link_local_ips', keyBeforeEquals],
  ['services.*.ports', portKey],
  ['services.*.profiles', keyBeforeEquals],
  ['services.*.secrets', mountKey('/run/secrets')],
  ['services.*.sysctls', keyBeforeEquals],
  ['services.*.tmpfs', keyBeforeEquals],
  ['services.*.volumes', volumeKey],
];

const CONTAINER_SECTIONS: ReadonlySet<string> = new Set(SECTIONS);

/** dom0's `jobs` and `volume_containers` merge as Compose's `services` do. */
function matches(path: Path, pattern: string): boolean {
  const parts = pattern.split('.');
  if (parts.length !== path.length) return false;
  return parts.every((p, i) => {
    const seg = String(path[i]);
    if (i === 0 && p === 'services') return CONTAINER_SECTIONS.has(seg);
    return p === '*' || p === seg;
  });
}

function mergeValue(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  if (o instanceof Override) return stripTags(o.value);
  for (const [pattern, merger] of SPECIAL) if (matches(path, pattern)) return unique(merger(b, o, path, bo, oo, report), path, bo);
  if (o === null || o === undefined) return b;
  if (isObj(b)) {
    if (!isObj(o)) return mismatch(b, o, path, oo, report);
    return mergeMappings(b, o, path, bo, oo, report);
  }
  if (Array.isArray(b)) {
    if (!Array.isArray(o)) return mismatch(b, o, path, oo, report);
    return unique(concat(b, o, bo, oo), path, bo);
  }
  return stripTags(o);
}

function mismatch(b: unknown, o: unknown, path: Path, oo: Origin, report: MergeErrorReporter): unknown {
  const what = (v: unknown) => (Array.isArray(v) ? 'a list' : isObj(v) ? 'a mapping' : 'a single value');
  report(oo, `cannot override ${path.join('.')}: it is ${what(b)} in the file before, ${what(o)} here`);
  return b;
}

function mergeMappings(b: Obj, o: Obj, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(b)) {
    out[k] = v;
    markChild(out, k, childOrigin(b, bo, k));
  }
  for (const [k, v] of Object.entries(o)) {
    const ko = childOrigin(o, oo, k);
    if (v === RESET) {
      delete out[k];
      continue;
    }
    if (!Object.hasOwn(out, k) || k.startsWith('x-')) {
      out[k] = stripTags(v);
      markChild(out, k, ko);
      continue;
    }
    const bk = childOrigin(b, bo, k);
    const both = isObj(out[k]) && isObj(v);
    out[k] = mergeValue(out[k], v, [...path, k], bk, ko, report);
    // A mapping merged from both files stays where it was first declared (its children know their own files).
    markChild(out, k, both ? bk : ko);
  }
  return out;
}

function concat(b: unknown[], o: unknown[], bo: Origin, oo: Origin): unknown[] {
  const out: unknown[] = [];
  b.forEach((v, i) => {
    out.push(v);
    markChild(out, out.length - 1, childOrigin(b, bo, i));
  });
  o.forEach((v, i) => {
    if (v === RESET) return;
    out.push(stripTags(v));
    markChild(out, out.length - 1, childOrigin(o, oo, i));
  });
  return out;
}

/** `origin`: where `v` itself came from, for children it does not record. */
function unique(v: unknown, path: Path, origin: Origin): unknown {
  if (!Array.isArray(v)) return v;
  const keyOf = UNIQUE.find(([pattern]) => matches(path, pattern))?.[1];
  if (!keyOf) return v;
  const out: unknown[] = [];
  const at = new Map<string, number>();
  v.forEach((item, i) => {
    const from = childOrigin(v, origin, i);
    const key = keyOf(item);
    const j = key === undefined ? undefined : at.get(key);
    if (j !== undefined) {
      out[j] = item;
      markChild(out, j, from);
      return;
    }
    if (key !== undefined) at.set(key, out.length);
    out.push(item);
    markChild(out, out.length - 1, from);
  });
  return out;
}

// --- the special rules ------------------------------------------------------------------------

function replace(_b: unknown, o: unknown): unknown {
  return stripTags(o);
}

/** A map `{K: V}` as `["K=V"]` (sorted, as compose-go does), so that list and map forms merge. */
function sequenceOf(v: unknown, origin: Origin): { items: unknown[]; origins: Origin[] } {
  if (Array.isArray(v)) return { items: v, origins: v.map((_, i) => childOrigin(v, origin, i)) };
  if (isObj(v)) {
    const pairs = Object.entries(v)
      .filter(([, x]) => x !== RESET)
      .map(([k, x]) => ({ item: x === null || x === undefined ? k : `${k}=${scalar(stripTags(x))}`, origin: childOrigin(v, origin, k) }))
      .sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
    return { items: pairs.map((p) => p.item), origins: pairs.map((p) => p.origin) };
  }
  if (typeof v === 'string') return { items: [v], origins: [origin] };
  return { items: [], origins: [] };
}

function scalar(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function toSequence(b: unknown, o: unknown, _path: Path, bo: Origin, oo: Origin): unknown {
  if (o === null || o === undefined) return b;
  const left = sequenceOf(b, bo);
  const right = sequenceOf(o, oo);
  const out: unknown[] = [];
  left.items.forEach((v, i) => {
    out.push(v);
    markChild(out, out.length - 1, left.origins[i]!);
  });
  right.items.forEach((v, i) => {
    if (v === RESET) return;
    out.push(stripTags(v));
    markChild(out, out.length - 1, right.origins[i]!);
  });
  return out;
}

/** A list `[a, b]` as a mapping `{a: dflt, b: dflt}`. */
function mappingOf(v: unknown, origin: Origin, dflt: () => unknown): { map: Obj; origin: Origin } {
  if (isObj(v)) return { map: v, origin };
  const map: Obj = {};
  if (Array.isArray(v)) {
    v.forEach((name, i) => {
      if (typeof name !== 'string') return;
      map[name] = dflt();
      markChild(map, name, childOrigin(v, origin, i));
    });
  }
  return { map, origin };
}

function mergeAsMappings(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter, dflt: () => unknown): unknown {
  if (o === null || o === undefined) return b;
  const left = mappingOf(b, bo, dflt);
  const right = mappingOf(o, oo, dflt);
  return mergeMappings(left.map, right.map, path, left.origin, right.origin, report);
}

function mergeDependsOn(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  return mergeAsMappings(b, o, path, bo, oo, report, () => ({ condition: 'service_started', required: true }));
}

function mergeNetworks(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  return mergeAsMappings(b, o, path, bo, oo, report, () => null);
}

function mergeBuild(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  if (o === null || o === undefined) return b;
  const asMap = (v: unknown, origin: Origin): Obj => {
    if (typeof v !== 'string') return isObj(v) ? v : {};
    const m: Obj = { context: v };
    markChild(m, 'context', origin);
    return m;
  };
  return mergeMappings(asMap(b, bo), asMap(o, oo), path, bo, oo, report);
}

/** Logging options merge only when both files name the same driver (or one names none). */
function mergeLogging(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  if (!isObj(b) || !isObj(o)) return o === null || o === undefined ? b : stripTags(o);
  if (!('driver' in o) || !('driver' in b) || o.driver === b.driver) return mergeMappings(b, o, path, bo, oo, report);
  return stripTags(o);
}

function mergeUlimit(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  if (isObj(b) && isObj(o)) return mergeMappings(b, o, path, bo, oo, report);
  return o === null || o === undefined ? b : stripTags(o);
}

/** IPAM pools: one per subnet, a later definition of a subnet merged onto the earlier one. */
function mergeIpamConfig(b: unknown, o: unknown, path: Path, bo: Origin, oo: Origin, report: MergeErrorReporter): unknown {
  if (!Array.isArray(b) || !Array.isArray(o)) return o === null || o === undefined ? b : stripTags(o);
  const out: unknown[] = [];
  const origins: Origin[] = [];
  const put = (item: unknown, origin: Origin): void => {
    const subnet = isObj(item) ? item.subnet : undefined;
    const j = subnet === undefined ? -1 : out.findIndex((x) => isObj(x) && x.subnet === subnet);
    if (j < 0) {
      out.push(item);
      origins.push(origin);
    } else {
      out[j] = isObj(out[j]) && isObj(item) ? mergeMappings(out[j] as Obj, item, path, origins[j]!, origin, report) : item;
      origins[j] = origin;
    }
  };
  b.forEach((item, i) => put(item, childOrigin(b, bo, i)));
  o.forEach((item, i) => item !== RESET && put(stripTags(item), childOrigin(o, oo, i)));
  origins.forEach((origin, i) => markChild(out, i, origin));
  return out;
}

// --- unique keys ------------------------------------------------------------------------------

function hostKey(v: unknown): string {
  const s = String(v);
  const i = s.search(/[=:]/);
  return i < 0 ? s : s.slice(0, i);
}

function envFileKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return isObj(v) && typeof v.path === 'string' ? v.path : undefined;
}

function mountKey(dir: string): (v: unknown) => string | undefined {
  return (v) => {
    if (typeof v === 'string') return `${dir}/${v}`;
    if (!isObj(v)) return undefined;
    if (typeof v.target === 'string') return v.target;
    return `${dir}/${String(v.source)}`;
  };
}

function volumeKey(v: unknown): string | undefined {
  if (isObj(v)) return typeof v.target === 'string' ? v.target : undefined;
  if (typeof v !== 'string') return undefined;
  const parts = v.split(':');
  return parts.length === 1 ? parts[0] : parts[1];
}

function deviceKey(v: unknown): string | undefined {
  if (isObj(v)) return typeof v.target === 'string' ? v.target : undefined;
  if (typeof v !== 'string') return undefined;
  const parts = v.split(':');
  return parts.length === 1 ? parts[0] : parts[1];
}

function portKey(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (!isObj(v)) return undefined;
  return `${String(v.host_ip ?? '0.0.0.0')}:${String(v.published ?? '')}:${String(v.target)}/${String(v.protocol ?? 'tcp')}`;
}
