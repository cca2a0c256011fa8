// Registry credentials: the manifest's `registries:` map, then Docker's own client config
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, as written by `docker login`). The
// manifest's entry wins for the same host. Credential helpers (credsStore, credHelpers) are not
// run: dom0 boots hosts before any desktop keychain exists.
//
// Every secret value seen here is registered with redact.ts, so scrub() — which every log line
// and CLI error goes through — removes it from any text.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from '../engine/engine.js';
import type { Manifest } from '../manifest/types.js';
import { registerSecret } from '../redact.js';
import { DOCKER_HUB, DOCKER_HUB_SERVER, normalizeRegistryHost, parseImageRef } from './reference.js';

export type CredentialSource = 'manifest' | 'docker-config';

export interface Credential {
  /** Normalized registry host ("docker.io" for Hub). */
  host: string;
  username?: string;
  password?: string;
  identityToken?: string;
  source: CredentialSource;
  /** The manifest or config.json the credential came from (for messages). */
  origin: string;
}

export interface DockerConfig {
  path: string;
  /** Credentials by normalized host. */
  auths: Map<string, Credential>;
  /** Hosts whose credentials live in a credential helper dom0 does not run ("*" = credsStore: all). */
  helperHosts: Set<string>;
  /** Problems reading the file (bad JSON, undecodable `auth`); never contain a secret. */
  warnings: string[];
}

export interface CredentialEnv {
  env?: NodeJS.ProcessEnv;
  /** Returns undefined when the file does not exist or cannot be read. */
  readFile?: (path: string) => string | undefined;
  home?: string;
}

/** $DOCKER_CONFIG/config.json, else ~/.docker/config.json (HOME from the environment first). */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env, home?: string): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(home ?? (env.HOME || homedir()), '.docker', 'config.json');
}

function readSmall(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Decodes a config.json `auth` value: base64 of "user:password". */
export function decodeAuth(auth: string): { username: string; password: string } | undefined {
  const text = Buffer.from(auth.trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Parses the text of a Docker client config.json. Never throws; problems become warnings. */
export function parseDockerConfig(text: string, path: string): DockerConfig {
  const out: DockerConfig = { path, auths: new Map(), helperHosts: new Set(), warnings: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    out.warnings.push(`${path} is not valid JSON (${(e as Error).message.replace(/ in JSON.*$/, '')}); its credentials are ignored`);
    return out;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    out.warnings.push(`${path} is not a JSON object; its credentials are ignored`);
    return out;
  }
  const cfg = raw as { auths?: unknown; credsStore?: unknown; credHelpers?: unknown };
  if (str(cfg.credsStore)) out.helperHosts.add('*');
  if (cfg.credHelpers && typeof cfg.credHelpers === 'object') {
    for (const k of Object.keys(cfg.credHelpers)) out.helperHosts.add(normalizeRegistryHost(k));
  }
  if (!cfg.auths || typeof cfg.auths !== 'object') return out;
  for (const [key, value] of Object.entries(cfg.auths as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') continue;
    const v = value as { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown };
    const host = normalizeRegistryHost(key);
    const cred: Credential = { host, source: 'docker-config', origin: path };
    const auth = str(v.auth);
    if (auth) {
      registerSecret(auth);
      const decoded = decodeAuth(auth);
      if (decoded) {
        cred.username = decoded.username;
        cred.password = decoded.password;
      } else {
        out.warnings.push(`${path}: the \`auth\` of ${JSON.stringify(key)} is not base64 of user:password; ignored`);
      }
    }
    if (cred.username === undefined && str(v.username)) cred.username = str(v.username);
    if (cred.password === undefined && str(v.password)) cred.password = str(v.password);
    if (str(v.identitytoken)) cred.identityToken = str(v.identitytoken);
    if (cred.username === undefined && cred.password === undefined && cred.identityToken === undefined) continue;
    registerCredential(cred);
    // An exact Hub key ("https://index.docker.io/v1/") wins over the other aliases.
    if (!out.auths.has(host) || key === DOCKER_HUB_SERVER) out.auths.set(host, cred);
  }
  return out;
}

/** Reads Docker's client config; undefined when there is none. */
export function loadDockerConfig(opts: CredentialEnv = {}): DockerConfig | undefined {
  const path = dockerConfigPath(opts.env ?? process.env, opts.home);
  const text = (opts.readFile ?? readSmall)(path);
  return text === undefined ? undefined : parseDockerConfig(text, path);
}

function registerCredential(c: Credential): void {
  registerSecret(c.password);
  registerSecret(c.identityToken);
  if (c.username !== undefined && c.password !== undefined) {
    registerSecret(Buffer.from(`${c.username}:${c.password}`).toString('base64'));
  }
}

/** Encoded by the engine adapter (src/engine/registry-auth.ts); re-exported for callers of this module. */
export { registryAuthHeader } from '../engine/registry-auth.js';

export interface ImageCredential {
  /** Registry host of the image, normalized. */
  host: string;
  credential?: Credential;
  /** Set when config.json says this host's credentials live in a helper dom0 does not run. */
  helperOnly?: boolean;
}

/** The credentials of one apply: manifest entries over config.json ones, by registry host. */
export class Credentials {
  private constructor(
    private readonly byHost: Map<string, Credential>,
    private readonly helperHosts: Set<string>,
    readonly warnings: string[],
  ) {}

  static empty(): Credentials {
    return new Credentials(new Map(), new Set(), []);
  }

  static fromManifest(manifest: Pick<Manifest, 'file' | 'registries'>, docker: DockerConfig | undefined): Credentials {
    const byHost = new Map<string, Credential>(docker?.auths ?? []);
    const fromManifest = new Set<string>();
    for (const [key, r] of Object.entries(manifest.registries)) {
      const host = normalizeRegistryHost(r.host || key);
      // Several manifest keys may name one host (Hub aliases): the first one written wins.
      if (fromManifest.has(host)) continue;
      const cred: Credential = { host, source: 'manifest', origin: manifest.file };
      if (r.username !== undefined) cred.username = r.username;
      if (r.password !== undefined) cred.password = r.password;
      if (r.identityToken !== undefined) cred.identityToken = r.identityToken;
      registerCredential(cred);
      byHost.set(host, cred);
      fromManifest.add(host);
    }
    return new Credentials(byHost, docker?.helperHosts ?? new Set(), docker?.warnings ?? []);
  }

  /** Loads config.json (per `opts`) and merges it under the manifest's entries. */
  static load(manifest: Pick<Manifest, 'file' | 'registries'>, opts: CredentialEnv = {}): Credentials {
    return Credentials.fromManifest(manifest, loadDockerConfig(opts));
  }

  forHost(host: string): Credential | undefined {
    return this.byHost.get(normalizeRegistryHost(host));
  }

  forImage(ref: string): ImageCredential {
    const host = parseImageRef(ref).registry;
    const credential = this.byHost.get(host);
    const out: ImageCredential = { host };
    if (credential) out.credential = credential;
    else if (this.helperHosts.has(host) || this.helperHosts.has('*')) out.helperOnly = true;
    return out;
  }

  /** The auth config to send with a pull of `ref`, or undefined for an anonymous pull. */
  authFor(ref: string): RegistryAuth | undefined {
    const { host, credential } = this.forImage(ref);
    return credential ? toRegistryAuth(credential, host) : undefined;
  }
}

export function toRegistryAuth(c: Credential, host: string): RegistryAuth {
  const auth: RegistryAuth = { serveraddress: host === DOCKER_HUB ? DOCKER_HUB_SERVER : host };
  if (c.identityToken !== undefined) auth.identitytoken = c.identityToken;
  if (c.username !== undefined) auth.username = c.username;
  if (c.password !== undefined) auth.password = c.password;
  return auth;
}

/** "user \"bob\" (from dom0.yaml `registries`)" — who a credential belongs to, never what it is. */
export function describeCredential(c: Credential): string {
  const who = c.username !== undefined ? `user ${JSON.stringify(c.username)}` : 'an identity token';
  const from = c.source === 'manifest' ? `from \`registries\` in ${c.origin}` : `from ${c.origin}`;
  return `${who} (${from})`;
}
