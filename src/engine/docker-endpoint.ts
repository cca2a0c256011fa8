// Which engine to talk to, resolved as the docker CLI resolves it: DOCKER_HOST (with
// DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH), else DOCKER_CONTEXT, else the config.json's
// currentContext, else the default socket. A context is read from the CLI's context store
// ($DOCKER_CONFIG/contexts/meta/<sha256 of name>/meta.json, TLS files under contexts/tls/).
// docker-modem reads the DOCKER_* variables itself only when given no options; dom0 passes
// options, so the resolution is done here once, for every transport, and is testable.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Verify the engine's certificate against `ca` (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  verify: boolean;
}

export interface DockerEndpoint {
  /** unix:///path, tcp://host:port, ssh://[user@]host[:port], or a bare socket path. */
  host: string;
  tls?: TlsFiles;
  /** Where it came from, for messages: "DOCKER_HOST", "context \"lab\"" or "default". */
  source: string;
}

export type FileReader = (path: string) => Buffer | undefined;

const readIfExists: FileReader = (path) => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};

export class EndpointError extends Error {}

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

function configDir(env: NodeJS.ProcessEnv): string {
  return set(env.DOCKER_CONFIG) ? env.DOCKER_CONFIG : join(set(env.HOME) ? env.HOME : homedir(), '.docker');
}

function certFiles(dir: string, read: FileReader, verify: boolean): TlsFiles {
  const tls: TlsFiles = { verify };
  const ca = read(join(dir, 'ca.pem'));
  const cert = read(join(dir, 'cert.pem'));
  const key = read(join(dir, 'key.pem'));
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  return tls;
}

/** The context the docker CLI would use: DOCKER_HOST means "default"; then DOCKER_CONTEXT; then currentContext. */
export function contextName(env: NodeJS.ProcessEnv, read: FileReader = readIfExists): string {
  if (set(env.DOCKER_HOST)) return 'default';
  if (set(env.DOCKER_CONTEXT)) return env.DOCKER_CONTEXT;
  const text = read(join(configDir(env), 'config.json'));
  if (text) {
    try {
      const current = (JSON.parse(text.toString('utf8')) as { currentContext?: unknown }).currentContext;
      if (typeof current === 'string' && current !== '') return current;
    } catch {
      // an unreadable config.json is reported where its credentials are read
    }
  }
  return 'default';
}

export function resolveDockerEndpoint(env: NodeJS.ProcessEnv = process.env, read: FileReader = readIfExists): DockerEndpoint {
  const name = contextName(env, read);
  if (name === 'default') {
    const host = set(env.DOCKER_HOST) ? env.DOCKER_HOST : DEFAULT_DOCKER_HOST;
    const source = set(env.DOCKER_HOST) ? 'DOCKER_HOST' : 'default';
    const verify = set(env.DOCKER_TLS_VERIFY);
    if (!verify && !set(env.DOCKER_TLS)) return { host, source };
    return { host, source, tls: certFiles(set(env.DOCKER_CERT_PATH) ? env.DOCKER_CERT_PATH : configDir(env), read, verify) };
  }
  const id = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir(env), 'contexts', 'meta', id, 'meta.json');
  const text = read(metaPath);
  if (!text) throw new EndpointError(`docker context ${JSON.stringify(name)} not found (no ${metaPath}); see \`docker context ls\``);
  let endpoint: { Host?: unknown; SkipTLSVerify?: unknown } | undefined;
  try {
    endpoint = (JSON.parse(text.toString('utf8')) as { Endpoints?: { docker?: typeof endpoint } }).Endpoints?.docker;
  } catch {
    throw new EndpointError(`docker context ${JSON.stringify(name)}: ${metaPath} is not valid JSON`);
  }
  if (typeof endpoint?.Host !== 'string' || endpoint.Host === '') {
    throw new EndpointError(`docker context ${JSON.stringify(name)} has no docker endpoint host (${metaPath})`);
  }
  const out: DockerEndpoint = { host: endpoint.Host, source: `context ${JSON.stringify(name)}` };
  const tls = certFiles(join(configDir(env), 'contexts', 'tls', id, 'docker'), read, endpoint.SkipTLSVerify !== true);
  if (tls.ca || tls.cert || endpoint.SkipTLSVerify === true) out.tls = tls;
  return out;
}
