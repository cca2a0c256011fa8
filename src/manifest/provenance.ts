// Where each value of a composed manifest (several files merged, includes, extends) was written,
// so that a diagnostic still points at FILE:LINE:COL of the file the value came from.
//
// A tree taken whole from one file carries its origin on its root; an object built by merging
// records, for each of its keys (or indexes), where that child came from. Locating a path walks
// down and keeps the last origin seen, plus the rest of the path below it.

import type { Path } from './diagnostics.js';
import type { Located, Position } from './parse.js';

export interface Source {
  file: string; // as shown in diagnostics
  locate: Located['locate'];
}

/** The value at `path` inside `src`'s own document. */
export interface Origin {
  src: Source;
  path: Path;
}

export interface Place extends Position {
  file: string;
}

const roots = new WeakMap<object, Origin>();
const children = new WeakMap<object, Map<string, Origin>>();

const isNode = (v: unknown): v is object => v !== null && typeof v === 'object';

/** `value` is the whole document of `src` (or its part at `path`). */
export function markRoot(value: unknown, origin: Origin): void {
  if (isNode(value) && !roots.has(value)) roots.set(value, origin);
}

/** `parent[key]` (a fresh object built by a merge) came from `origin`. */
export function markChild(parent: object, key: string | number, origin: Origin): void {
  let m = children.get(parent);
  if (!m) children.set(parent, (m = new Map()));
  m.set(String(key), origin);
}

/** The origin of `parent[key]`, given the origin of `parent`. */
export function childOrigin(parent: unknown, parentOrigin: Origin, key: string | number): Origin {
  if (isNode(parent)) {
    const o = children.get(parent)?.get(String(key));
    if (o) return o;
  }
  return { src: parentOrigin.src, path: [...parentOrigin.path, key] };
}

/** The origin of the node at `path` in a composed tree whose root came from `rootOrigin`. */
export function originAt(root: unknown, rootOrigin: Origin, path: Path): Origin {
  let node: unknown = root;
  let origin: Origin = (isNode(root) && roots.get(root)) || rootOrigin;
  for (const seg of path) {
    origin = childOrigin(node, origin, seg);
    node = isNode(node) ? (node as Record<string, unknown>)[seg as string] : undefined;
  }
  return origin;
}

export function placeOf(origin: Origin, atKey = false): Place {
  return { file: origin.src.file, ...origin.src.locate(origin.path, atKey) };
}

/** FILE:LINE:COL of any path of the composed tree `root`. */
export function composedLocator(root: unknown, rootOrigin: Origin): (path: Path, atKey?: boolean) => Place {
  return (path, atKey = false) => placeOf(originAt(root, rootOrigin, path), atKey);
}
