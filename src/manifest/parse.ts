// YAML text -> plain JS value + a locator from value paths back to FILE:LINE:COL.
// Hostile input is stopped before it can hurt: nesting depth is measured on the CST without
// recursion (yaml's composer recurses), and alias expansion is capped (billion laughs).

import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { CST } from 'yaml';
import type { Path } from './diagnostics.js';

export const MAX_DEPTH = 64;
export const MAX_ALIAS_COUNT = 1000;
/** Aliases share nodes; once expanded (as interpolation does) the tree must stay this small. */
export const MAX_EXPANDED_NODES = 1_000_000;

export interface Position {
  line: number;
  col: number;
}

export interface Located {
  value: unknown;
  /** Position of the node at `path`, or of its key when `atKey`; falls back to the deepest existing ancestor's key. */
  locate(path: Path, atKey?: boolean): Position;
  warnings: Array<{ pos: Position; message: string }>;
  /** Where Compose's merge tags `!reset` and `!override` are, as paths into `value`. */
  tags: Array<{ path: Path; tag: MergeTag }>;
}

export type MergeTag = 'reset' | 'override';
const MERGE_TAGS: Readonly<Record<string, MergeTag>> = { '!reset': 'reset', '!override': 'override' };

export type ParseOutcome = { ok: true; result: Located } | { ok: false; errors: Array<{ pos: Position; message: string }> };

export function parseYaml(text: string): ParseOutcome {
  const lc = new LineCounter();
  const pos = (offset: number): Position => lc.linePos(Math.max(0, Math.min(offset, text.length)));
  const tokens = Array.from(new Parser(lc.addNewLine).parse(text));

  const tooDeep = findTooDeep(tokens);
  if (tooDeep !== undefined) {
    return { ok: false, errors: [{ pos: pos(tooDeep), message: `nesting deeper than ${MAX_DEPTH} levels` }] };
  }

  // yaml's own duplicate-key check is quadratic in the size of a map; findDuplicateKeys is not.
  const composer = new Composer({ merge: true, uniqueKeys: false, strict: true, logLevel: 'error' });
  const docs = Array.from(composer.compose(tokens, true, text.length));
  const doc = docs[0];
  const errors: Array<{ pos: Position; message: string }> = [];
  if (docs[1]) errors.push({ pos: pos(docs[1].range[0]), message: 'multiple YAML documents in one manifest are not supported' });
  if (!doc) return { ok: false, errors: [{ pos: pos(0), message: 'manifest is empty' }] };
  for (const e of doc.errors) errors.push({ pos: pos(e.pos[0]), message: yamlErrorMessage(e.code, e.message) });
  for (const key of findDuplicateKeys(doc)) errors.push({ pos: pos(key.offset), message: `duplicate key \`${key.name}\`` });
  if (errors.length > 0) return { ok: false, errors };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.source)) {
    return { ok: false, errors: [{ pos: pos(0), message: 'manifest is empty' }] };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const message = /alias count/i.test(msg)
      ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}): is this a billion-laughs document?`
      : `cannot load YAML: ${msg}`;
    return { ok: false, errors: [{ pos: firstAliasPos(doc, pos) ?? pos(0), message }] };
  }

  const shape = measure(value);
  if (shape !== 'ok') {
    const message =
      shape === 'circular'
        ? 'recursive alias: an anchor contains an alias to itself'
        : shape === 'deep'
          ? `nesting deeper than ${MAX_DEPTH} levels (through aliases)`
          : `the document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`;
    return { ok: false, errors: [{ pos: firstAliasPos(doc, pos) ?? pos(0), message }] };
  }

  const warnings = doc.warnings
    .filter((w) => !(w.code === 'TAG_RESOLVE_FAILED' && /^Unresolved tag: !(reset|override)\b/.test(w.message)))
    .map((w) => ({ pos: pos(w.pos[0]), message: `warning: ${oneLine(w.message)}` }));
  return { ok: true, result: { value, locate: makeLocator(doc, pos), warnings, tags: findMergeTags(doc) } };
}

function oneLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function yamlErrorMessage(code: string, message: string): string {
  if (code === 'TAB_AS_INDENT') return 'tabs are not allowed for indentation in YAML; use spaces';
  return `YAML syntax error: ${oneLine(message)}`;
}

/** Offset of the first collection nested deeper than MAX_DEPTH, by an explicit-stack walk of the CST. */
function findTooDeep(tokens: CST.Token[]): number | undefined {
  const stack: Array<[CST.Token, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop()!;
    const push = (child: CST.Token | null | undefined, d: number): void => {
      if (child) stack.push([child, d]);
    };
    switch (t.type) {
      case 'document':
        push(t.value, depth);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        if (depth + 1 > MAX_DEPTH) return t.offset;
        for (const it of t.items as CST.CollectionItem[]) {
          push(it.key, depth + 1);
          push(it.value, depth + 1);
        }
        break;
      }
    }
  }
  return undefined;
}

/**
 * Depth and expanded size of a JS value whose nodes may be shared (aliases) or circular
 * (an alias inside its own anchor). Iterative and memoized: linear in distinct nodes.
 */
function measure(root: unknown): 'ok' | 'circular' | 'deep' | 'large' {
  const done = new Map<object, { depth: number; size: number }>();
  const open = new Set<object>();
  const stack: Array<{ node: object; expanded: boolean }> = [];
  const children = (n: object): unknown[] => (Array.isArray(n) ? n : Object.values(n));
  if (root !== null && typeof root === 'object') stack.push({ node: root, expanded: false });
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (!top.expanded) {
      if (done.has(top.node)) {
        stack.pop();
        continue;
      }
      top.expanded = true;
      open.add(top.node);
      for (const c of children(top.node)) {
        if (c === null || typeof c !== 'object') continue;
        if (open.has(c)) return 'circular';
        if (!done.has(c)) stack.push({ node: c, expanded: false });
      }
      continue;
    }
    stack.pop();
    open.delete(top.node);
    let depth = 0;
    let size = 1;
    for (const c of children(top.node)) {
      const m = c !== null && typeof c === 'object' ? done.get(c) : undefined;
      size += m ? m.size : 1;
      if (m) depth = Math.max(depth, m.depth);
    }
    if (depth + 1 > MAX_DEPTH * 4) return 'deep';
    if (size > MAX_EXPANDED_NODES) return 'large';
    done.set(top.node, { depth: depth + 1, size });
  }
  return 'ok';
}

/** Keys repeated within one mapping (`<<` merge keys aside), found with a set per mapping. */
function findDuplicateKeys(doc: Document.Parsed): Array<{ name: string; offset: number }> {
  const out: Array<{ name: string; offset: number }> = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isSeq(n)) for (const it of n.items) stack.push(it);
    if (!isMap(n)) continue;
    const seen = new Set<string>();
    for (const p of n.items as Pair[]) {
      stack.push(p.key, p.value);
      const k = keyString(p.key);
      if (k === undefined || k === '<<') continue;
      if (seen.has(k)) out.push({ name: k, offset: (p.key as Node).range?.[0] ?? 0 });
      seen.add(k);
    }
  }
  return out;
}

/** Nodes tagged `!reset` / `!override`, by their path in the JS value (not through aliases or `<<`). */
function findMergeTags(doc: Document.Parsed): Array<{ path: Path; tag: MergeTag }> {
  const out: Array<{ path: Path; tag: MergeTag }> = [];
  const stack: Array<{ node: unknown; path: Path }> = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    const tag = (node as Node | null)?.tag;
    const merge = tag === undefined ? undefined : MERGE_TAGS[tag];
    if (merge) out.push({ path, tag: merge });
    if (merge === 'reset') continue;
    if (isSeq(node)) node.items.forEach((it, i) => stack.push({ node: it, path: [...path, i] }));
    if (isMap(node)) {
      for (const p of node.items as Pair[]) {
        const k = keyString(p.key);
        if (k !== undefined && k !== '<<') stack.push({ node: p.value, path: [...path, k] });
      }
    }
  }
  return out;
}

/** The first alias in document order, where an alias bomb starts. */
function firstAliasPos(doc: Document.Parsed, pos: (o: number) => Position): Position | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isAlias(n)) return n.range ? pos(n.range[0]) : undefined;
    const children = isMap(n) ? (n.items as Pair[]).flatMap((p) => [p.key, p.value]) : isSeq(n) ? n.items : [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return undefined;
}

function keyString(k: unknown): string | undefined {
  if (!isScalar(k)) return undefined;
  const v = k.value;
  if (v === null || v === undefined) return '';
  if (typeof v === 'symbol') return v.description;
  return String(v);
}

function isMergePair(p: Pair): boolean {
  return keyString(p.key) === '<<';
}

function makeLocator(doc: Document.Parsed, pos: (o: number) => Position): Located['locate'] {
  const deref = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  // Per-map index of own keys and merge sources, built on first use: locating is O(depth).
  const index = new WeakMap<object, { own: Map<string, Pair>; merges: unknown[] }>();
  const indexOf = (m: YAMLMap): { own: Map<string, Pair>; merges: unknown[] } => {
    let ix = index.get(m);
    if (!ix) {
      ix = { own: new Map(), merges: [] };
      for (const p of m.items as Pair[]) {
        if (isMergePair(p)) ix.merges.push(p.value);
        else {
          const k = keyString(p.key);
          if (k !== undefined && !ix.own.has(k)) ix.own.set(k, p);
        }
      }
      index.set(m, ix);
    }
    return ix;
  };
  // A key in a map, looking through `<<` merges the way toJS resolves them (own keys first).
  const findPair = (map: unknown, seg: string, depth = 0): Pair | undefined => {
    const m = deref(map);
    if (!isMap(m) || depth > 8) return undefined;
    const ix = indexOf(m);
    const own = ix.own.get(seg);
    if (own) return own;
    for (const merge of ix.merges) {
      const src = deref(merge);
      for (const s of isSeq(src) ? src.items : [src]) {
        const found = findPair(s, seg, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  const at = (n: unknown): Position | undefined => {
    const r = (n as Node | null)?.range;
    return r ? pos(r[0]) : undefined;
  };
  const isEmptyScalar = (n: unknown): boolean => isScalar(n) && n.value === null && !n.source;

  return (path, atKey = false) => {
    let node: unknown = doc.contents;
    let key: unknown;
    for (const seg of path) {
      const cur = deref(node);
      let next: unknown;
      let nextKey: unknown;
      if (isMap(cur)) {
        const p = findPair(cur, String(seg));
        if (p) {
          next = p.value;
          nextKey = p.key;
        }
      } else if (isSeq(cur) && typeof seg === 'number') {
        next = cur.items[seg];
        nextKey = next;
      }
      if (next === undefined && nextKey === undefined) return at(key) ?? at(node) ?? { line: 1, col: 1 };
      node = next;
      key = nextKey;
    }
    if (atKey || node === null || node === undefined || isEmptyScalar(node)) return at(key) ?? at(node) ?? { line: 1, col: 1 };
    return at(node) ?? at(key) ?? { line: 1, col: 1 };
  };
}
