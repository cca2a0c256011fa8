// `.env` and `env_file` files: KEY=VALUE lines, `export` prefix, # comments, single quotes
// (literal), double quotes (escapes, may span lines), unquoted values with trailing " #comment".
// Like Compose, unquoted and double-quoted values are interpolated; a bare KEY takes the
// value from the environment.

import { interpolate, type Lookup } from './interpolate.js';

export type DotenvResult = { ok: true; values: Record<string, string> } | { ok: false; line: number; error: string };

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseDotenv(text: string, lookup: Lookup): DotenvResult {
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  const scoped: Lookup = (name) => (Object.hasOwn(values, name) ? values[name] : lookup(name));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    // The text is not echoed: a line without `=` may be a pasted password.
    if (!KEY.test(key)) return { ok: false, line: n + 1, error: 'invalid variable name: expected NAME=VALUE with NAME made of letters, digits, `_`, `.` and `-`' };
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) values[key] = v;
      continue;
    }
    let raw = body.slice(eq + 1).trimStart();
    let value: string;
    const q = raw[0];
    if (q === "'" || q === '"') {
      // A quoted value may continue on the following lines until the closing quote.
      let end = closingQuote(raw, q);
      while (end < 0 && n + 1 < lines.length) {
        raw += `\n${lines[++n]!}`;
        end = closingQuote(raw, q);
      }
      if (end < 0) return { ok: false, line: n + 1, error: `unterminated ${q} quote for ${key}` };
      const inner = raw.slice(1, end);
      value = q === "'" ? inner : expandEscapes(inner);
      if (q === '"') value = interpolateOrKeep(value, scoped);
    } else {
      value = interpolateOrKeep(raw.replace(/\s+#.*$/, '').trimEnd(), scoped);
    }
    values[key] = value;
  }
  return { ok: true, values: { ...values } };
}

function closingQuote(s: string, q: string): number {
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') i++;
    else if (s[i] === q) return i;
  }
  return -1;
}

function expandEscapes(s: string): string {
  return s.replace(/\\([\\"nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

function interpolateOrKeep(s: string, lookup: Lookup): string {
  const r = interpolate(s, lookup);
  return r.ok ? r.value : s;
}
