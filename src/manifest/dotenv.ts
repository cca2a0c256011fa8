// `.env` and `env_file` files, parsed as compose-go's `dotenv` package does:
//   KEY=VALUE, KEY: VALUE, `export KEY=VALUE`; blank lines and # comments;
//   names of letters and digits in any script, `_`, `.`, `-`, `[`, `]` (a digit may come first);
//   unquoted values end at the line's end, lose a trailing ` #comment` and trailing blanks, and are
//   interpolated; 'single quotes' are literal (\' is a quote); "double quotes" may span lines,
//   expand \a \b \f \n \r \t \v \\ \" \$ and \0NNN (octal), then are interpolated;
//   a bare KEY takes its value from the environment, if set there.
// Interpolation inside the file sees the environment first, then the keys set above it; a
// failing ${X:?msg} fails the file. Errors give a line (and column), never the line's text: it
// may be a pasted password.

import { interpolate, type Lookup } from './interpolate.js';

/** A variable a value refers to that is set nowhere (it became ""), where the value starts. */
export interface DotenvUnset {
  name: string;
  line: number;
  col: number;
}

export type DotenvResult =
  | { ok: true; values: Record<string, string>; unset: DotenvUnset[] }
  | { ok: false; line: number; col: number; error: string };

class DotenvError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

/** Blanks inside a line (not the newline), as compose-go's isSpace. */
const BLANK = /[\t\v\f\r \u0085\u00a0]/;
const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;

export function parseDotenv(text: string, lookup: Lookup): DotenvResult {
  const src = text.replace(/^\uFEFF/, '');
  const values = new Map<string, string>();
  const scoped: Lookup = (name) => lookup(name) ?? values.get(name);
  const unset: Array<{ name: string; at: number }> = [];
  const onUnset = (name: string, at: number): void => void unset.push({ name, at });
  try {
    let pos = 0;
    for (;;) {
      pos = statementStart(src, pos);
      if (pos >= src.length) break;
      const key = readKey(src, pos);
      if (key.inherited) {
        const v = lookup(key.name);
        if (v !== undefined && key.name !== '') values.set(key.name, v);
        pos = key.next;
        continue;
      }
      const v = readValue(src, skipBlanks(src, key.next), key.name, scoped, onUnset);
      // compose-go accepts `=value`; a variable without a name cannot be used, so it is dropped.
      if (key.name !== '') values.set(key.name, v.value);
      pos = v.next;
    }
  } catch (e) {
    if (!(e instanceof DotenvError)) throw e;
    const { line, col } = lineCol(src)(e.at);
    return { ok: false, line, col, error: e.message };
  }
  const at = lineCol(src);
  return { ok: true, values: Object.fromEntries(values), unset: unset.map((u) => ({ name: u.name, ...at(u.at) })) };
}

/** Skips whitespace (newlines included) and comment lines. */
function statementStart(src: string, pos: number): number {
  for (;;) {
    while (pos < src.length && /\s/u.test(src[pos]!)) pos++;
    if (src[pos] !== '#') return pos;
    const nl = src.indexOf('\n', pos);
    if (nl < 0) return src.length;
    pos = nl;
  }
}

function skipBlanks(src: string, pos: number): number {
  while (pos < src.length && BLANK.test(src[pos]!)) pos++;
  return pos;
}

function readKey(src: string, start: number): { name: string; inherited: boolean; next: number } {
  let pos = start;
  if (/^export[\t\n\f\r ]/.test(src.slice(pos, pos + 7))) pos = skipBlanks(src, pos + 6);
  const from = pos;
  while (pos < src.length) {
    const c = String.fromCodePoint(src.codePointAt(pos)!);
    if (c === '=' || c === ':' || c === '\n') {
      const name = src.slice(from, pos).replace(/\s+$/u, '');
      if (name.includes(' ')) throw new DotenvError(start, 'a variable name cannot contain a space');
      return { name, inherited: c === '\n', next: pos + 1 };
    }
    if (!BLANK.test(c) && !KEY_CHAR.test(c)) {
      throw new DotenvError(pos, 'unexpected character in a variable name: expected NAME=VALUE, NAME: VALUE or a bare NAME, with NAME made of letters, digits, `_`, `.`, `-`, `[` and `]`');
    }
    pos += c.length;
  }
  // A bare name on the last line, without a newline after it.
  const name = src.slice(from).replace(/\s+$/u, '');
  if (name.includes(' ')) throw new DotenvError(start, 'a variable name cannot contain a space');
  return { name, inherited: true, next: src.length };
}

type OnUnset = (name: string, at: number) => void;

function readValue(src: string, pos: number, key: string, lookup: Lookup, onUnset: OnUnset): { value: string; next: number } {
  const q = src[pos];
  if (q !== '"' && q !== "'") {
    let end = src.indexOf('\n', pos);
    if (end < 0) end = src.length;
    let raw = src.slice(pos, end);
    const comment = raw.indexOf(' #');
    if (comment >= 0) raw = raw.slice(0, comment);
    return { value: expand(raw.replace(/\s+$/u, ''), key, pos, lookup, onUnset), next: end + 1 };
  }
  let chars = '';
  let escaped = false;
  for (let i = pos + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c !== q) {
      if (!escaped && c === '\\') {
        escaped = true;
        continue;
      }
      if (escaped) chars += '\\';
      escaped = false;
      chars += c;
      continue;
    }
    if (escaped) {
      escaped = false;
      chars += c;
      continue;
    }
    const value = q === '"' ? expand(expandEscapes(chars), key, pos, lookup, onUnset) : chars;
    return { value, next: i + 1 };
  }
  throw new DotenvError(pos, `unterminated quoted value for ${key || 'a variable'}: the ${q} opened here is never closed`);
}

const ESCAPE = /\\(?:[abfnrtv$"\\]|0[0-9]{0,3})/g;
const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', $: '$$' };

/** Shell (XSI echo) escapes; `\$` becomes `$$` so interpolation leaves a literal `$`. */
function expandEscapes(s: string): string {
  return s.replace(ESCAPE, (m) => {
    if (m[1] !== '0' || m.length === 2) return SIMPLE[m[1]!] ?? m;
    const digits = m.slice(2);
    // Exactly three octal digits after \0, at most \0377; anything else stays as written.
    if (!/^[0-7]{3}$/.test(digits)) return m;
    const code = parseInt(digits, 8);
    return code <= 0xff ? String.fromCharCode(code) : m;
  });
}

function expand(s: string, key: string, at: number, lookup: Lookup, onUnset: OnUnset): string {
  const r = interpolate(s, lookup);
  for (const name of r.unset) onUnset(name, at);
  if (!r.ok) throw new DotenvError(at, `${key || 'value'}: ${r.error}`);
  return r.value;
}

/** Offset → 1-based line and column, by binary search over the line starts. */
function lineCol(src: string): (at: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return (at) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: at - starts[lo]! + 1 };
  };
}

/**
 * env_file `format: raw`, the parser docker/compose registers for it (docker/cli's kvfile, as
 * `docker run --env-file`): one KEY[=VALUE] per line, leading blanks and `#` comment lines
 * skipped, the value taken literally to the line's end (no quotes, escapes or interpolation;
 * trailing blanks kept); a bare KEY takes its value from the environment, if set there.
 */
export function parseRawEnv(text: string, lookup: Lookup): DotenvResult {
  const values = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') return { ok: false, line: i + 1, col: 1, error: 'no variable name before `=`' };
    if (/[ \t]/.test(key)) return { ok: false, line: i + 1, col: 1, error: 'a variable name cannot contain a space or a tab' };
    if (eq >= 0) values.set(key, line.slice(eq + 1));
    else {
      const v = lookup(key);
      if (v !== undefined) values.set(key, v);
    }
  }
  return { ok: true, values: Object.fromEntries(values), unset: [] };
}
