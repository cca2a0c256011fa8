// Image references the way Docker reads them: which registry an image lives on, its repository,
// tag and digest. Only what choosing credentials and pull policies needs; the engine does the
// real resolution.

/** Docker Hub's canonical host name in dom0 (credentials for any Hub alias are filed under it). */
export const DOCKER_HUB = 'docker.io';

/** Names by which Docker Hub appears in manifests and in ~/.docker/config.json. */
export const DOCKER_HUB_ALIASES: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/** The server address the Docker CLI files Hub credentials under (and sends as `serveraddress`). */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

export interface ImageRef {
  /** Registry host, normalized: "docker.io" for Docker Hub, else "host[:port]" in lower case. */
  registry: string;
  /** Repository path on that registry ("library/busybox" for an official Hub image). */
  repository: string;
  tag?: string;
  /** "sha256:…" when the reference is pinned by digest. */
  digest?: string;
  /** registry/repository[:tag][@digest], with ":latest" when neither tag nor digest is given. */
  canonical: string;
}

/**
 * A registry host as written in a manifest key, a config.json `auths` key or an image reference,
 * normalized: scheme and path dropped ("https://index.docker.io/v1/" → "index.docker.io"), lower
 * case, and every Docker Hub alias → "docker.io".
 */
export function normalizeRegistryHost(key: string): string {
  let h = key.trim();
  h = h.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = h.indexOf('/');
  if (slash >= 0) h = h.slice(0, slash);
  h = h.toLowerCase();
  return DOCKER_HUB_ALIASES.includes(h) ? DOCKER_HUB : h;
}

/** Is the first path component of a reference a registry host (Docker's rule)? */
function isDomain(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash >= 0 && isDomain(rest.slice(0, slash))) {
    registry = normalizeRegistryHost(rest.slice(0, slash));
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0 && !rest.slice(colon + 1).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const repository = registry === DOCKER_HUB && !rest.includes('/') ? `library/${rest}` : rest;
  const out: ImageRef = {
    registry,
    repository,
    canonical: `${registry}/${repository}${tag !== undefined ? `:${tag}` : digest === undefined ? ':latest' : ''}${digest !== undefined ? `@${digest}` : ''}`,
  };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** The registry an image is pulled from ("docker.io" for Hub images). */
export function registryHost(ref: string): string {
  return parseImageRef(ref).registry;
}

/** `name@sha256:…`: the content can never change, so it is pulled only when absent. */
export function isDigestPinned(ref: string): boolean {
  return parseImageRef(ref).digest !== undefined;
}
