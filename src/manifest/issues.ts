// zod issues → user-facing messages at the right node.

import type { z } from 'zod';
import { renderPath, show, type Path, type PathSegment } from './diagnostics.js';
import { didYouMean } from './suggest.js';
import { looksSecret } from '../redact.js';

export interface PlacedMessage {
  path: Path;
  atKey: boolean;
  message: string;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  map: 'a mapping',
};

function valueAt(root: unknown, path: Path): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return { found: false, value: undefined };
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return { found: true, value: cur };
}

/** Fields whose values may be secrets: their values are never echoed, only their kind. */
const SECRET_FIELDS = new Set(['environment', 'env_file', 'registries', 'password', 'password_file', 'identitytoken', 'username']);

/**
 * Whether the value at `path` may be a secret. Below the entry (or the top-level key), any
 * segment that is a secret field or looks secret (DB_PASSWORD, api_token...) counts; the section
 * and entry names themselves do not, so an entry named `keycloak` keeps its helpful messages.
 */
export function mayBeSecret(base: Path, rel: Path): boolean {
  if (base[0] === 'registries' || rel[0] === 'registries') return true;
  return rel.some((seg) => typeof seg === 'string' && (SECRET_FIELDS.has(seg) || looksSecret(seg)));
}

function kindOnly(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'true or false';
  return show(v); // nothing, a list, a mapping: no content
}

/**
 * `base` is where the parsed value sits in the document; `label` names it in messages when the
 * issue is about the value itself (e.g. the entry key).
 */
export function placeIssues(issues: readonly z.core.$ZodIssue[], base: Path, data: unknown, label: string): PlacedMessage[] {
  const out: PlacedMessage[] = [];
  for (const iss of issues) {
    const rel = iss.path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
    const path = [...base, ...rel];
    const field = rel.length > 0 ? renderPath(rel) : label;
    const params = (iss as { params?: Record<string, unknown> }).params;
    const secret = mayBeSecret(base, rel);

    if (params?.unknownKey) {
      const key = String(rel[rel.length - 1]);
      const unsupported = params.unsupported as Record<string, string>;
      const reason = Object.hasOwn(unsupported, key) ? unsupported[key] : undefined;
      const message =
        reason !== undefined
          ? `\`${key}\` is not supported by dom0: ${reason}`
          : `unknown key \`${key}\`${didYouMean(key, params.known as string[])}`;
      out.push({ path, atKey: true, message });
      continue;
    }

    const { found, value } = valueAt(data, rel);
    if (iss.code === 'invalid_type' && (value === undefined || value === null) && rel.length > 0) {
      // Absent, or present with an empty value (`image:`), which validation sees as absent.
      const message = found ? `\`${field}\` has no value` : `missing required key \`${String(rel[rel.length - 1])}\``;
      out.push({ path, atKey: true, message });
      continue;
    }
    if (iss.code === 'invalid_type' || (iss.code === 'custom' && params?.expected)) {
      const expected = (params?.expected as string | undefined) ?? EXPECTED[(iss as { expected: string }).expected] ?? (iss as { expected: string }).expected;
      out.push({ path, atKey: false, message: `\`${field}\` must be ${expected}, got ${secret ? kindOnly(value) : show(value)}` });
      continue;
    }
    if (iss.code === 'too_small' && typeof value === 'string') {
      out.push({ path, atKey: false, message: `\`${field}\` must not be empty` });
      continue;
    }
    if (secret) {
      out.push({ path, atKey: false, message: `\`${field}\` is invalid (the value is not shown: it may be secret)` });
      continue;
    }
    out.push({ path, atKey: false, message: iss.code === 'custom' ? iss.message : `\`${field}\`: ${iss.message}` });
  }
  return out;
}
