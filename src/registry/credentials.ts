// Registry credentials: the manifest's `registries:` map, then Docker's own client config
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, as written by `docker login`): a
// credential helper it names (`credHelpers` for the host, else `credsStore`), asked as the docker
// CLI asks it (`docker-credential-<name> get`, the server on stdin), then its `auths`. The
// manifest's entry wins for the same host. A helper that fails or is missing is not fatal: the
// next source is used, and an auth failure says what the helper answered.
//
// Every secret value seen here is registered with redact.ts, so scrub() — which every log line
// and CLI error goes through — removes it from any text.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from '../engine/engine.js';
import type { Manifest } from '../manifest/types.js';
import { registerSecret } from '../redact.js';
import { DOCKER_HUB, DOCKER_HUB_SERVER, normalizeRegistryHost, parseImageRef } from './reference.js';

export type CredentialSource = 'manifest' | 'docker-config' | 'credential-helper';

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
  /** `credHelpers`: the helper of a host (normalized), e.g. "ecr-login". */
  helpers: Map<string, string>;
  /** `credsStore`: the helper of every other host, e.g. "pass". */
  store?: string;
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
  const out: DockerConfig = { path, auths: new Map(), helpers: new Map(), warnings: [] };
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
  const store = str(cfg.credsStore);
  if (store) out.store = store;
  if (cfg.credHelpers && typeof cfg.credHelpers === 'object') {
    for (const [k, v] of Object.entries(cfg.credHelpers as Record<string, unknown>)) {
      const name = str(v);
      if (name) out.helpers.set(normalizeRegistryHost(k), name);
    }
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

/** What a credential helper answered for a server: a credential, none stored, or why it failed. */
export type HelperAnswer = { username?: string; password?: string; identityToken?: string } | undefined | { error: string };

/** Asks `docker-credential-<helper> get` for `server`, as the docker CLI does. */
export type HelperRunner = (helper: string, server: string) => HelperAnswer;

/** Helpers answer quickly or not at all (a locked keychain prompts); a boot must not hang on one. */
const HELPER_TIMEOUT_MS = 10_000;

export function runCredentialHelper(helper: string, server: string): HelperAnswer {
  const program = `docker-credential-${helper}`;
  let stdout: string;
  try {
    stdout = execFileSync(program, ['get'], { input: server, timeout: HELPER_TIMEOUT_MS, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string; signal?: string; status?: number | null };
    if (err.code === 'ENOENT') return { error: `${program} is not on PATH` };
    const said = `${err.stdout ?? ''} ${err.stderr ?? ''}`.trim();
    // The helpers' own words for "nothing stored for this server".
    if (/credentials not found/i.test(said)) return undefined;
    if (err.signal) return { error: `${program} did not answer within ${HELPER_TIMEOUT_MS / 1000}s` };
    return { error: `${program} failed (exit ${String(err.status ?? err.code)})` };
  }
  return parseHelperAnswer(stdout, program);
}

/** A helper's JSON answer ({ServerURL, Username, Secret}); Username "<token>" means Secret is an identity token. */
export function parseHelperAnswer(stdout: string, program: string): HelperAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    return { error: `${program} did not answer with JSON` };
  }
  const r = (raw && typeof raw === 'object' ? raw : {}) as { Username?: unknown; Secret?: unknown };
  const username = str(r.Username);
  const secret = str(r.Secret);
  if (secret === undefined) return undefined;
  registerSecret(secret);
  return username === '<token>' ? { identityToken: secret } : { ...(username !== undefined ? { username } : {}), password: secret };
}

/** Encoded by the engine adapter (src/engine/registry-auth.ts); re-exported for callers of this module. */
export { registryAuthHeader } from '../engine/registry-auth.js';

export interface ImageCredential {
  /** Registry host of the image, normalized. */
  host: string;
  credential?: Credential;
  /** Why the credential helper config.json names for this host gave nothing usable. */
  helperProblem?: string;
}

/** The credentials of one apply: manifest entries, then credential helpers, then config.json `auths`, by registry host. */
export class Credentials {
  // A helper is asked at most once per host and apply.
  private readonly fromHelpers = new Map<string, { credential?: Credential; problem?: string }>();

  private constructor(
    private readonly byHost: Map<string, Credential>,
    private readonly manifestHosts: Set<string>,
    private readonly docker: DockerConfig | undefined,
    private readonly runHelper: HelperRunner,
    readonly warnings: string[],
  ) {}

  static empty(): Credentials {
    return new Credentials(new Map(), new Set(), undefined, runCredentialHelper, []);
  }

  static fromManifest(manifest: Pick<Manifest, 'file' | 'registries'>, docker: DockerConfig | undefined, runHelper: HelperRunner = runCredentialHelper): Credentials {
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
    return new Credentials(byHost, fromManifest, docker, runHelper, docker?.warnings ?? []);
  }

  /** Loads config.json (per `opts`) and merges it under the manifest's entries. */
  static load(manifest: Pick<Manifest, 'file' | 'registries'>, opts: CredentialEnv = {}): Credentials {
    return Credentials.fromManifest(manifest, loadDockerConfig(opts));
  }

  forHost(host: string): Credential | undefined {
    return this.resolve(normalizeRegistryHost(host)).credential;
  }

  forImage(ref: string): ImageCredential {
    const host = parseImageRef(ref).registry;
    const { credential, helperProblem } = this.resolve(host);
    const out: ImageCredential = { host };
    if (credential) out.credential = credential;
    if (helperProblem) out.helperProblem = helperProblem;
    return out;
  }

  /** The auth config to send with a pull of `ref`, or undefined for an anonymous pull. */
  authFor(ref: string): RegistryAuth | undefined {
    const { host, credential } = this.forImage(ref);
    return credential ? toRegistryAuth(credential, host) : undefined;
  }

  private resolve(host: string): { credential?: Credential; helperProblem?: string } {
    const stored = this.byHost.get(host);
    if (this.manifestHosts.has(host)) return { credential: stored! };
    const helper = this.docker?.helpers.get(host) ?? this.docker?.store;
    if (!helper || !this.docker) return stored ? { credential: stored } : {};
    let asked = this.fromHelpers.get(host);
    if (!asked) {
      asked = {};
      const answer = this.runHelper(helper, host === DOCKER_HUB ? DOCKER_HUB_SERVER : host);
      if (answer && 'error' in answer) asked.problem = answer.error;
      else if (!answer) asked.problem = `docker-credential-${helper} has no credentials for ${host}`;
      else {
        const cred: Credential = { host, source: 'credential-helper', origin: `docker-credential-${helper} (${this.docker.path})`, ...answer };
        registerCredential(cred);
        asked.credential = cred;
      }
      this.fromHelpers.set(host, asked);
    }
    const credential = asked.credential ?? stored;
    return { ...(credential ? { credential } : {}), ...(asked.problem ? { helperProblem: asked.problem } : {}) };
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
