// Compose variable interpolation: ${VAR}, $VAR, ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg},
// ${VAR:+alt}, ${VAR+alt}, and $$ for a literal $. Operands may nest (${A:-${B}}).

import type { Path, PathSegment } from './diagnostics.js';
import { setOwn } from './own.js';

export type Lookup = (name: string) => string | undefined;

export type InterpolationResult =
  | { ok: true; value: string; unset: string[] }
  | { ok: false; error: string; unset: string[] };

const NAME_START = /[_a-zA-Z]/;
const NAME_CHAR = /[_a-zA-Z0-9]/;
const MAX_NESTING = 16;

class InterpolationError extends Error {}

export function interpolate(input: string, lookup: Lookup): InterpolationResult {
  const unset: string[] = [];
  try {
    return { ok: true, value: expand(input, lookup, unset, 0), unset };
  } catch (e) {
    if (e instanceof InterpolationError) return { ok: false, error: e.message, unset };
    throw e;
  }
}

function expand(s: string, lookup: Lookup, unset: string[], depth: number): string {
  if (depth > MAX_NESTING) throw new InterpolationError(`interpolation nested deeper than ${MAX_NESTING} levels`);
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const d = s.indexOf('$', i);
    if (d < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, d);
    const next = s[d + 1];
    if (next === '$') {
      out += '$';
      i = d + 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = d + 2;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      out += resolve(s.slice(d + 1, j), lookup, unset);
      i = j;
    } else if (next === '{') {
      const end = matchingBrace(s, d + 2);
      if (end < 0) throw invalid(s);
      out += braced(s.slice(d + 2, end), s, lookup, unset, depth);
      i = end + 1;
    } else {
      throw invalid(s);
    }
  }
  return out;
}

// The value is not echoed (it may be a password): the diagnostic's position points at it.
function invalid(_s: string): InterpolationError {
  return new InterpolationError('invalid interpolation format: use $$ for a literal $');
}

/** Index of the `}` closing a `${` whose body starts at `from`; nested `${...}` and `$$` skipped. */
function matchingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s[i + 1] === '$') i++;
    else if (c === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function resolve(name: string, lookup: Lookup, unset: string[]): string {
  const v = lookup(name);
  if (v === undefined) {
    unset.push(name);
    return '';
  }
  return v;
}

function braced(body: string, whole: string, lookup: Lookup, unset: string[], depth: number): string {
  let j = 0;
  if (!NAME_START.test(body[0] ?? '')) throw invalid(whole);
  while (j < body.length && NAME_CHAR.test(body[j]!)) j++;
  const name = body.slice(0, j);
  if (j === body.length) return resolve(name, lookup, unset);
  const colon = body[j] === ':';
  const op = body[colon ? j + 1 : j];
  const operand = body.slice(colon ? j + 2 : j + 1);
  if (op !== '-' && op !== '?' && op !== '+') throw invalid(whole);
  const value = lookup(name);
  // With the colon form an empty value counts as unset.
  const missing = value === undefined || (colon && value === '');
  const sub = (): string => expand(operand, lookup, unset, depth + 1);
  switch (op) {
    case '-':
      return missing ? sub() : value!;
    case '+':
      return missing ? '' : sub();
    case '?': {
      if (!missing) return value!;
      const msg = sub();
      throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
    }
  }
  throw invalid(whole);
}

export interface TreeEvents {
  onError(path: Path, message: string): void;
  onUnset(path: Path, name: string): void;
}

/** Interpolates every string scalar (never keys) of a plain JS tree; returns a new tree. */
export function interpolateTree(value: unknown, lookup: Lookup, events: TreeEvents, path: PathSegment[] = []): unknown {
  if (typeof value === 'string') {
    const r = interpolate(value, lookup);
    for (const name of r.unset) events.onUnset(path, name);
    if (!r.ok) {
      events.onError(path, r.error);
      return value;
    }
    return r.value;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, lookup, events, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, interpolateTree(v, lookup, events, [...path, k]));
    return out;
  }
  return value;
}
