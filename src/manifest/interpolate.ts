// Compose variable interpolation, as compose-go's `template` package does it: ${VAR}, $VAR,
// ${VAR:-d}, ${VAR-d}, ${VAR:?msg}, ${VAR?msg}, ${VAR:+alt}, ${VAR+alt}, and $$ for a literal $.
// A `$` followed by anything else (`$(cmd)`, `$1`, `$?`, a final `$`, `$}`) is kept as written;
// only a malformed `${` is an error. Operands nest (${A:-${B}}) and may hold braces
// (${JSON:-{"a":1}}).

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

// The value is not echoed (it may be a password): the diagnostic's position points at it.
function invalid(): InterpolationError {
  return new InterpolationError(
    'invalid interpolation format: `${` must be followed by a name, then `}` or one of :- - :? ? :+ + (write $$ for a literal $)',
  );
}

function expand(s: string, lookup: Lookup, unset: string[], depth: number): string {
  if (depth > MAX_NESTING) throw new InterpolationError(`interpolation nested deeper than ${MAX_NESTING} levels`);
  if (!s.includes('$')) return s;
  // Where the current line ends and its last `}`: an operator form reaches that far (compose-go's
  // greedy `.*}`), computed once per line so a long line stays linear.
  let lineEnd = -1;
  let lastBrace = -1;
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
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      const j = nameEnd(s, d + 1);
      out += resolve(s.slice(d + 1, j), lookup, unset);
      i = j;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = d + 1;
      continue;
    }
    const n = d + 2;
    const j = NAME_START.test(s[n] ?? '') ? nameEnd(s, n) : n;
    if (j === n) throw invalid();
    const name = s.slice(n, j);
    if (s[j] === '}') {
      out += resolve(name, lookup, unset);
      i = j + 1;
      continue;
    }
    const colon = s[j] === ':';
    const op = s[colon ? j + 1 : j];
    if (op !== '-' && op !== '+' && op !== '?') throw invalid();
    const k = colon ? j + 2 : j + 1; // the operand's start
    if (k > lineEnd) {
      lineEnd = s.indexOf('\n', k);
      if (lineEnd < 0) lineEnd = s.length;
      lastBrace = s.lastIndexOf('}', lineEnd - 1);
    }
    if (lastBrace < k) throw invalid();
    // The operand ends at the first brace that balances the opening one, or at the line's last `}`.
    const close = closingBrace(s, d, lastBrace);
    const end = close < 0 ? lastBrace : close;
    out += operator(name, colon, op, s.slice(k, end), lookup, unset, depth);
    i = end + 1;
  }
  return out;
}

function nameEnd(s: string, from: number): number {
  let j = from + 1;
  while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
  return j;
}

/**
 * compose-go's brace counter over `${...`, from `d` up to `last`: every `{` opens (and the
 * character after it is skipped), every `}` closes; -1 when the count never returns to zero.
 */
function closingBrace(s: string, d: number, last: number): number {
  let open = 0;
  for (let i = d; i <= last; i++) {
    if (s[i] === '}') {
      open--;
      if (open === 0) return i;
    } else if (s[i] === '{') {
      open++;
      i++;
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

function operator(name: string, colon: boolean, op: string, operand: string, lookup: Lookup, unset: string[], depth: number): string {
  const value = lookup(name);
  // With the colon form an empty value counts as unset.
  const missing = value === undefined || (colon && value === '');
  // The operand is interpolated only when it is used.
  const sub = (): string => expand(operand, lookup, unset, depth + 1);
  switch (op) {
    case '-':
      return missing ? sub() : value!;
    case '+':
      return missing ? (value ?? '') : sub();
    default: {
      if (!missing) return value!;
      const msg = sub();
      throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
    }
  }
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
