// zod issues → user-facing messages at the right node.

import type { z } from 'zod';
import { renderPath, show, type Path, type PathSegment } from './diagnostics.js';
import { didYouMean } from './suggest.js';

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
      out.push({ path, atKey: false, message: `\`${field}\` must be ${expected}, got ${show(value)}` });
      continue;
    }
    if (iss.code === 'too_small' && typeof value === 'string') {
      out.push({ path, atKey: false, message: `\`${field}\` must not be empty` });
      continue;
    }
    out.push({ path, atKey: false, message: iss.code === 'custom' ? iss.message : `\`${field}\`: ${iss.message}` });
  }
  return out;
}
