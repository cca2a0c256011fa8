// The config hash: what decides whether a container matches its entry.
// Stable across runs and dom0 releases: values equal to a default (false, empty list or map,
// undefined) are dropped before hashing, so a release that adds a field with an empty default
// does not change any existing hash. Bump HASH_SCHEME only with a migration in plan.
import { createHash } from 'node:crypto';
import type { EntrySpec } from '../manifest/types.js';

export const HASH_SCHEME = 1;

/**
 * Fields that never force a recreate: ordering, provenance, pull behaviour, and the container's
 * name (identity, not config: a renamed entry is handled by plan, and a volume container renamed
 * by hand with `docker rename` still matches). `build` is stood for by the image ID it produced (its
 * context path differs between the host and dom0's container).
 */
const NOT_HASHED = new Set(['dependsOn', 'position', 'pullPolicy', 'containerName', 'build', 'schedule', 'placement']);

export type Canonical = null | boolean | number | string | Canonical[] | { [k: string]: Canonical };

/** Drops defaults, sorts object keys; arrays keep their order. */
export function canonicalize(value: unknown): Canonical | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (typeof value === 'number' || typeof value === 'string' || value === true) return value;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((v) => canonicalize(v) ?? null);
  }
  if (typeof value === 'object') {
    const out: { [k: string]: Canonical } = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = canonicalize((value as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return undefined;
}

/** The part of an entry that the hash covers, with the image resolved to its local ID. */
export function hashedSpec(spec: EntrySpec, imageId: string | undefined): { [k: string]: Canonical } {
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!NOT_HASHED.has(k) && !k.startsWith('x-')) picked[k] = v;
  // A volume container's image only seeds its volumes once: a newer pull of the same tag
  // changes nothing about it, so its hash follows the reference, not the image ID.
  if (spec.kind !== 'volume') picked.imageId = imageId ?? `missing:${spec.image}`;
  // The hashed spec is stored in the io.dom0.spec label, which anyone who can list containers
  // reads: environment values (passwords, tokens) go in as their digests, keys stay readable.
  if (spec.kind !== 'volume' && spec.environment) picked.environment = hashedValues(spec.environment);
  // Lifecycle hooks' environments likewise.
  for (const k of ['postStart', 'preStop'] as const) {
    if (spec.kind !== 'volume' && spec[k]) picked[k] = spec[k].map((h) => ({ ...h, environment: hashedValues(h.environment) }));
  }
  return (canonicalize(picked) as { [k: string]: Canonical } | undefined) ?? {};
}

export function envValueDigest(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

function hashedValues(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, envValueDigest(v)]));
}

export function hashCanonical(c: Canonical): string {
  return createHash('sha256').update(JSON.stringify({ scheme: HASH_SCHEME, spec: c })).digest('hex');
}

export function configHash(spec: EntrySpec, imageId: string | undefined): string {
  return hashCanonical(hashedSpec(spec, imageId));
}
