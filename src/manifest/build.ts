// `build:` of an entry → BuildSpec: the context resolved (a local directory, or a git URL the
// engine fetches), args resolved from the environment, and the keys the Engine API builder cannot
// honour warned about. The image name when `image` is absent follows Compose: `<project>-<service>`.

import type { Path } from './diagnostics.js';
import type { Lookup } from './interpolate.js';
import { IGNORED_BUILD_KEYS, type ParsedBuild } from './schema.js';
import type { BuildSpec } from './types.js';

export interface BuildContext {
  env: Lookup;
  /** A local path written in the manifest → the absolute path dom0 reads. */
  resolveLocal(path: string): string;
  report(path: Path, message: string): void;
  warn?(path: Path, message: string): void;
}

/** Compose's default image name for a service that is built: `<project>-<service>`, lowercased. */
export function defaultImageName(fleet: string, entry: string): string {
  return `${fleet}-${entry}`.toLowerCase();
}

/**
 * A context the engine fetches itself, as the docker CLI decides it (git URLs only: a remote
 * tarball URL is not a Compose build context).
 */
export function isGitContext(context: string): boolean {
  return (
    context.startsWith('git://') ||
    context.startsWith('git@') ||
    context.startsWith('github.com/') ||
    /^https?:\/\/[^#]+\.git(#.*)?$/.test(context)
  );
}

export function buildSpec(b: ParsedBuild, platform: string | undefined, imageSet: boolean, at: Path, ctx: BuildContext): BuildSpec {
  const where = [...at, 'build'];
  const written = b.context ?? '.';
  const remote = isGitContext(written);
  const spec: BuildSpec = {
    context: remote ? written : ctx.resolveLocal(written),
    remote,
    args: {},
    labels: sortedEntries(b.labels ?? {}),
    extraHosts: b.extra_hosts ?? [],
    noCache: b.no_cache ?? false,
    pull: b.pull ?? false,
    cacheFrom: b.cache_from ?? [],
    tags: b.tags ?? [],
    localName: !imageSet,
  };
  for (const [k, v] of Object.entries(b.args ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const value = v ?? ctx.env(k);
    if (value !== undefined) spec.args[k] = value;
  }
  if (b.dockerfile_inline !== undefined) {
    if (b.dockerfile !== undefined) ctx.report([...where, 'dockerfile_inline'], 'build: set `dockerfile` or `dockerfile_inline`, not both');
    spec.dockerfileInline = b.dockerfile_inline;
  } else {
    spec.dockerfile = b.dockerfile ?? 'Dockerfile';
  }
  if (b.target !== undefined) spec.target = b.target;
  if (b.network !== undefined) spec.network = b.network;
  if (b.shm_size !== undefined) spec.shmSizeBytes = b.shm_size;
  const p = buildPlatform(b.platforms, platform, [...where, 'platforms'], ctx);
  if (p !== undefined) spec.platform = p;
  for (const [k, why] of Object.entries(IGNORED_BUILD_KEYS)) {
    if (b[k] !== undefined) ctx.warn?.([...where, k], `warning: build.${k} is ignored: ${why}`);
  }
  return spec;
}

/** The service's `platform` (Compose builds for it), else the only one listed; several: one host builds one. */
function buildPlatform(platforms: string[] | undefined, platform: string | undefined, at: Path, ctx: BuildContext): string | undefined {
  if (platform !== undefined) {
    if (platforms && platforms.length > 0 && !platforms.includes(platform)) {
      ctx.report(at, `build.platforms must include the service's platform ${JSON.stringify(platform)} (as in Compose)`);
    }
    return platform;
  }
  if (!platforms || platforms.length === 0) return undefined;
  if (platforms.length === 1) return platforms[0];
  ctx.warn?.(at, `warning: build.platforms lists ${platforms.length} platforms; dom0 builds for the engine's own platform only (multi-platform images need buildx)`);
  return undefined;
}

function sortedEntries(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
