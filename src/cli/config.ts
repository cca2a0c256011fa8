// `dom0 config`: the manifest as dom0 will apply it (interpolated, merged, normalized), in
// Compose's shape where Compose has the key, like `docker compose config`. Secret values are
// redacted. Only --resolve-image-digests talks to the engine.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { formatDiagnostic, loadManifest } from '../manifest/load.js';
import type { ContainerSpec, Dependency, LifecycleHook, Manifest, Mount, PortBinding, PullPolicy, RestartPolicy, VolumeContainerSpec } from '../manifest/types.js';
import { looksSecret, REDACTED } from '../redact.js';
import { composeOptions, engine, fleetOption, type GlobalOptions, manifestFiles } from './context.js';
import { ManifestError, UsageError } from './errors.js';
import { out } from './format.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** A duration as Compose (Go) writes it: 1h2m3.5s, 90s → 1m30s, 0 → 0s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s || (!h && !m) ? `${Number(s.toFixed(3))}s` : ''}`;
}

export function formatRestartPolicy(r: RestartPolicy): string {
  return r.maxRetries === undefined ? r.name : `${r.name}:${r.maxRetries}`;
}

export function formatPullPolicy(p: PullPolicy): string {
  return typeof p === 'string' ? p : `every_${formatDuration(p.everyMs)}`;
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fields whose Compose name is not the snake_case of dom0's. */
const RENAMED: Readonly<Record<string, string>> = { blkio: 'blkio_config', deviceRequests: 'deploy' };

/** Zero values are left out, as Compose does: false, empty lists and mappings, undefined. */
function isEmpty(v: unknown): boolean {
  return v === undefined || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

/**
 * dom0's fields in Compose's words: camelCase → snake_case, `…Ms` as a duration, `…Bytes` as a
 * number of bytes under the Compose name. Keys of user mappings (labels, environment…) are the
 * values of these fields and are never renamed.
 */
function composeFields(spec: object, special: Readonly<Record<string, (v: never) => Json | undefined>>, skip: readonly string[]): Obj {
  const o: Obj = {};
  for (const [k, v] of Object.entries(spec)) {
    if (skip.includes(k) || isEmpty(v)) continue;
    const fn = special[k];
    if (fn) {
      const j = fn(v as never);
      if (!isEmpty(j)) o[RENAMED[k] ?? snake(k)] = j!;
    } else if (k.endsWith('Ms') && typeof v === 'number') o[snake(k.slice(0, -2))] = formatDuration(v);
    else if (k.endsWith('Bytes') && typeof v === 'number') o[snake(k.slice(0, -5))] = v;
    else o[RENAMED[k] ?? snake(k)] = structuredClone(v) as Json;
  }
  return o;
}

function port(p: PortBinding): Obj {
  const o: Obj = { target: p.containerPort, protocol: p.protocol, mode: 'host' };
  if (p.hostPort !== undefined) o.published = p.hostPort;
  if (p.hostIp !== undefined) o.host_ip = p.hostIp;
  return o;
}

function mount(m: Mount): Obj {
  switch (m.type) {
    case 'bind':
      return { type: 'bind', source: m.source, target: m.target, ...(m.readOnly ? { read_only: true } : {}), ...(m.bindPropagation ? { bind: { propagation: m.bindPropagation } } : {}) };
    case 'volume':
      return { type: 'volume', source: m.source, target: m.target, ...(m.readOnly ? { read_only: true } : {}), ...(m.noCopy ? { volume: { nocopy: true } } : {}) };
    case 'anonymous':
      return { type: 'volume', target: m.target, ...(m.readOnly ? { read_only: true } : {}) };
    case 'tmpfs': {
      const tmpfs: Obj = {};
      if (m.sizeBytes !== undefined) tmpfs.size = m.sizeBytes;
      if (m.mode !== undefined) tmpfs.mode = m.mode;
      return { type: 'tmpfs', target: m.target, ...(Object.keys(tmpfs).length ? { tmpfs } : {}) };
    }
  }
}

function dependsOn(deps: Dependency[]): Obj {
  const o: Obj = {};
  for (const d of deps) {
    const e: Obj = { condition: d.condition, required: d.required };
    if (d.restart) e.restart = true;
    if (d.timeoutMs !== undefined) e.timeout = formatDuration(d.timeoutMs);
    o[d.name] = e;
  }
  return o;
}

const environment = (env: Record<string, string>): Obj =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, looksSecret(k) ? REDACTED : v]));

/** A lifecycle hook as Compose writes it, its environment redacted like the service's. */
const hook = (h: LifecycleHook): Obj => composeFields({ ...h, environment: environment(h.environment) }, {}, []);

const CONTAINER_FIELDS: Readonly<Record<string, (v: never) => Json | undefined>> = {
  environment,
  postStart: (hs: LifecycleHook[]) => hs.map(hook),
  preStop: (hs: LifecycleHook[]) => hs.map(hook),
  ports: (ps: PortBinding[]) => ps.map(port),
  volumes: (ms: Mount[]) => ms.map(mount),
  volumesFrom: (vs: ContainerSpec['volumesFrom']) => vs.map((v) => (v.readOnly ? `${v.name}:ro` : v.name)),
  links: (ls: ContainerSpec['links']) => ls.map((l) => (l.alias === l.name ? l.name : `${l.name}:${l.alias}`)),
  dependsOn,
  restart: formatRestartPolicy,
  pullPolicy: formatPullPolicy,
  healthcheck: (h: NonNullable<ContainerSpec['healthcheck']>) => (h.test[0] === 'NONE' ? { disable: true } : composeFields(h, {}, [])),
  networks: (n: ContainerSpec['networks']) =>
    Object.fromEntries(Object.entries(n).map(([k, a]) => [k, composeFields(a, {}, [])])) as Obj,
  logging: (l: NonNullable<ContainerSpec['logging']>) => composeFields(l, {}, []),
  blkio: (b: NonNullable<ContainerSpec['blkio']>) => composeFields(b, {}, []),
  // Compose's long form of a device request (`gpus` is its short form).
  deviceRequests: (ds: NonNullable<ContainerSpec['deviceRequests']>) => ({ resources: { reservations: { devices: ds.map((d) => composeFields(d, {}, [])) } } }),
};

/** An entry's keys in alphabetical order, as `docker compose config` prints a service. */
const sorted = (o: Obj): Obj => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

function container(e: ContainerSpec, image: string): Obj {
  // fileCopies: secrets and configs written into the container; only digests, not a Compose key.
  return sorted({ image, ...composeFields(e, CONTAINER_FIELDS, ['kind', 'name', 'image', 'position', 'fileCopies']) });
}

function volumeContainer(e: VolumeContainerSpec, image: string): Obj {
  return sorted({ image, ...composeFields(e, { pullPolicy: formatPullPolicy }, ['kind', 'name', 'image', 'position']) });
}

/** `digests`: image as written → `image@sha256:…` (only with --resolve-image-digests). */
export function renderConfig(m: Manifest, digests: ReadonlyMap<string, string> = new Map()): Obj {
  const img = (i: string) => digests.get(i) ?? i;
  const section = <T extends { name: string; image: string }>(list: T[], fn: (e: T, image: string) => Obj): Obj =>
    Object.fromEntries(list.map((e) => [e.name, fn(e, img(e.image))]));
  const o: Obj = { name: m.name };
  if (m.services.length) o.services = section(m.services, container);
  if (m.jobs.length) o.jobs = section(m.jobs, container);
  if (m.volumeContainers.length) o.volume_containers = section(m.volumeContainers, volumeContainer);
  if (Object.keys(m.networks).length) o.networks = Object.fromEntries(Object.entries(m.networks).map(([k, n]) => [k, composeFields(n, { ipam: (i: NonNullable<typeof n.ipam>) => ({ ...(i.driver ? { driver: i.driver } : {}), config: i.config.map((c) => composeFields(c, {}, [])) }) }, ['key'])]));
  if (Object.keys(m.volumes).length) o.volumes = Object.fromEntries(Object.entries(m.volumes).map(([k, v]) => [k, composeFields(v, {}, ['key'])]));
  if (Object.keys(m.registries).length) {
    o.registries = Object.fromEntries(
      Object.entries(m.registries).map(([k, r]) => {
        const e: Obj = {};
        if (r.username !== undefined) e.username = r.username;
        if (r.password !== undefined) e.password = REDACTED;
        if (r.identityToken !== undefined) e.identitytoken = REDACTED;
        return [k, e];
      }),
    );
  }
  o.pull_policy = formatPullPolicy(m.pullPolicy);
  return o;
}

/** The repository of an image reference, as the engine lists it in RepoDigests (docker.io/library/ dropped). */
export function repositoryOf(ref: string): string {
  let r = ref.split('@')[0]!;
  const slash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > slash) r = r.slice(0, colon);
  return r.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
}

/** `image@sha256:…` from the local image's repo digests, or undefined when it has none for that repository. */
export function pinnedImage(image: string, repoDigests: readonly string[]): string | undefined {
  if (image.includes('@')) return image;
  const repo = repositoryOf(image);
  const d = repoDigests.find((rd) => repositoryOf(rd) === repo && rd.includes('@'));
  return d === undefined ? undefined : `${image}@${d.slice(d.indexOf('@') + 1)}`;
}

async function resolveDigests(m: Manifest, warn: (s: string) => void): Promise<Map<string, string>> {
  const images = [...new Set([...m.volumeContainers, ...m.jobs, ...m.services].map((e) => e.image))];
  const out = new Map<string, string>();
  for (const image of images) {
    const info = await engine().inspectImage(image);
    const pinned = info ? pinnedImage(image, info.repoDigests) : undefined;
    if (pinned) out.set(image, pinned);
    else warn(info ? `${image}: the local image has no digest from a registry; left as written` : `${image}: not present on the engine; left as written`);
  }
  return out;
}

export function configCommand(program: Command): void {
  program
    .command('config')
    .description('print the resolved manifest (interpolated, merged, normalized) in Compose shape; secrets redacted')
    .option('--format <format>', 'yaml | json', 'yaml')
    .option('--resolve-image-digests', "pin each image to the local image's repo digest (asks the engine)")
    .action(async (o: { format: string; resolveImageDigests?: boolean }, cmd: Command) => {
      if (o.format !== 'yaml' && o.format !== 'json') throw new UsageError(`--format must be yaml or json, not "${o.format}"`);
      const r = await loadManifest(manifestFiles(cmd.optsWithGlobals<GlobalOptions>()), { fleet: fleetOption(), ...composeOptions() });
      if (!r.ok) throw new ManifestError(r.diagnostics);
      for (const w of r.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
      const warn = (s: string) => process.stderr.write(`dom0: ${s}\n`);
      const digests = o.resolveImageDigests ? await resolveDigests(r.manifest, warn) : undefined;
      const doc = renderConfig(r.manifest, digests);
      out(o.format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0, version: '1.1' }));
    });
}
