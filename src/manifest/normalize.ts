// Validated model → the normalized Manifest: defaults filled, short syntaxes expanded, relative
// paths resolved, implicit dependencies added, everything in a deterministic order.

import { isAbsolute, join, resolve } from 'node:path';
import { parseDotenv, parseRawEnv } from './dotenv.js';
import { buildSpec, defaultImageName } from './build.js';
import type { BindSourceHook } from './host-paths.js';
import type { Path } from './diagnostics.js';
import { setOwn } from './own.js';
import type { Lookup } from './interpolate.js';
import { containerNameOf, type Entry, type Model, type Reporter } from './model.js';
import { attachFiles, fileContents, fileDefinitions, type FileMountContext, type FileSource } from './file-mounts.js';
import { attachHooks } from './hooks.js';
import { attachSchedule } from './schedule.js';
import { expandExpose, expandPorts, portCount, type PortRange } from './ports.js';
import { IGNORED_DEPLOY_KEYS, type ParsedContainer, type ParsedDeploy, type ParsedDeviceRequest, type ParsedVolumeContainer } from './schema.js';
import { SWARM_ONLY_SUBJECTS } from './placement.js';
import type {
  BlkioConfig,
  ContainerSpec,
  DeviceRequest,
  Dependency,
  Healthcheck,
  Manifest,
  Mount,
  NetworkAttachment,
  NetworkSpec,
  RegistryCredential,
  RestartPolicy,
  VolumeContainerSpec,
  VolumeSpec,
} from './types.js';

export const MAX_PORT_BINDINGS = 10_000;

export interface NormalizeContext {
  env: Lookup;
  home: string;
  /** See LoadOptions.readFile: text, undefined if missing, or why the file cannot be used. */
  readFile(path: string): string | undefined | { error: string };
  report: Reporter;
  /** Warnings (ignored keys); the manifest stays valid. */
  warn?: Reporter;
  origin: string; // Manifest.origin
  bindSource?: BindSourceHook; // relative bind sources → host paths (dom0 in a container)
}

export function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    setOwn(out, k, v);
  }
  return out;
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function normalize(model: Model, ctx: NormalizeContext): Manifest {
  const byContainerName = new Map<string, string>();
  for (const e of model.entries) byContainerName.set(containerNameOf(e), e.key);
  const kinds = new Map(model.entries.map((e) => [e.key, e.kind]));
  const budget = { ports: MAX_PORT_BINDINGS };
  const fileCtx: FileMountContext = {
    report: ctx.report,
    warn: ctx.warn,
    bindSource: (file, at) => {
      const m = resolveMount({ type: 'bind', source: file, target: '/', readOnly: true }, model.dir, ctx, at);
      return { local: resolvePath(file, model.dir, ctx.home), source: m.type === 'bind' ? m.source : file };
    },
    env: ctx.env,
  };
  const files = { secrets: fileDefinitions('secrets', model, fileCtx), configs: fileDefinitions('configs', model, fileCtx), ctx: fileCtx };

  const volumeContainers: VolumeContainerSpec[] = [];
  const jobs: ContainerSpec[] = [];
  const services: ContainerSpec[] = [];
  for (const e of model.entries) {
    if (e.section === 'volume_containers') {
      if (e.spec) volumeContainers.push(volumeContainer(e, e.spec, model));
    } else if (e.spec) {
      const spec = container(e, e.spec, model, ctx, { kinds, byContainerName, budget, files });
      (e.kind === 'job' ? jobs : services).push(spec);
    }
  }

  return {
    file: model.file,
    name: model.name,
    origin: ctx.origin,
    volumeContainers: volumeContainers.sort(byName),
    jobs: jobs.sort(byName),
    services: services.sort(byName),
    volumes: volumes(model),
    networks: networks(model, [...jobs, ...services]),
    registries: registries(model, ctx),
    pullPolicy: model.pullPolicy,
    ...withFileContents(fileContents(files.secrets, files.configs)),
  };
}

/** Manifest.fileContents, only when there is a value to write (a Map: never shown as JSON). */
function withFileContents(contents: Map<string, string | Uint8Array>): { fileContents?: ReadonlyMap<string, string | Uint8Array> } {
  return contents.size > 0 ? { fileContents: contents } : {};
}

function volumeContainer(e: Entry, s: ParsedVolumeContainer, model: Model): VolumeContainerSpec {
  return {
    kind: 'volume',
    name: e.key,
    containerName: containerNameOf(e),
    image: s.image,
    paths: s.paths ?? [],
    command: s.command ?? ['/bin/true'],
    labels: sortedRecord(Object.entries(s.labels ?? {})),
    pullPolicy: s.pull_policy ?? model.pullPolicy,
    position: e.position,
  };
}

interface Lookups {
  kinds: Map<string, Entry['kind']>;
  byContainerName: Map<string, string>;
  budget: { ports: number };
  files: { secrets: Map<string, FileSource>; configs: Map<string, FileSource>; ctx: FileMountContext };
}

function container(e: Entry, s: ParsedContainer, model: Model, ctx: NormalizeContext, l: Lookups): ContainerSpec {
  const at = [e.section, e.key] as const;
  const volumesFrom = (s.volumes_from ?? []).map((v) => ({
    name: v.container ? (l.byContainerName.get(v.name) ?? v.name) : v.name,
    readOnly: v.readOnly,
  }));
  const links = (s.links ?? []).map(({ name, alias }) => ({ name, alias }));
  const mounts = (s.volumes ?? []).map((m, i) => resolveMount(m, model.dir, ctx, [...at, 'volumes', i, 'source']));
  const taken = new Set<string>(mounts.map((m) => m.target));

  const spec: ContainerSpec = {
    kind: e.kind === 'job' ? 'job' : 'service',
    name: e.key,
    containerName: containerNameOf(e),
    image: s.image ?? defaultImageName(model.name, e.key),
    environment: environment(e, s, model, ctx),
    ports: spend(s.ports ?? [], l.budget, () => ctx.report([...at, 'ports'], tooManyPorts, true)) ? (s.ports ?? []).flatMap(expandPorts) : [],
    expose: spend(s.expose ?? [], l.budget, () => ctx.report([...at, 'expose'], tooManyPorts, true))
      ? [...new Set((s.expose ?? []).flatMap(expandExpose))]
      : [],
    volumes: [
      ...mounts,
    ],
    volumesFrom,
    links,
    dependsOn: dependencies(s, volumesFrom, links, l),
    restart: restartOf(s, ctx, at) ?? { name: 'no' },
    labels: labelsOf(e, s, model, ctx),
    privileged: s.privileged ?? false,
    capAdd: s.cap_add ?? [],
    capDrop: s.cap_drop ?? [],
    devices: s.devices ?? [],
    networks: attachments(e.key, s, ctx, at),
    extraHosts: s.extra_hosts ?? [],
    dns: s.dns ?? [],
    dnsSearch: s.dns_search ?? [],
    tmpfs: s.tmpfs ?? [],
    init: s.init ?? false,
    readOnly: s.read_only ?? false,
    sysctls: sortedRecord(Object.entries(s.sysctls ?? {})),
    ulimits: sortedRecord(Object.entries(s.ulimits ?? {})),
    pullPolicy: s.pull_policy ?? model.pullPolicy,
    tty: s.tty ?? false,
    stdinOpen: s.stdin_open ?? false,
    position: e.position,
  };
  if (s.command) spec.command = s.command;
  if (s.entrypoint) spec.entrypoint = s.entrypoint;
  if (s.healthcheck) spec.healthcheck = healthcheck(s.healthcheck);
  if (s.user !== undefined) spec.user = s.user;
  if (s.working_dir !== undefined) spec.workingDir = s.working_dir;
  if (s.hostname !== undefined) spec.hostname = s.hostname;
  if (s.domainname !== undefined) spec.domainname = s.domainname;
  if (s.network_mode !== undefined) spec.networkMode = s.network_mode;
  if (s.stop_signal !== undefined) spec.stopSignal = s.stop_signal;
  if (s.stop_grace_period !== undefined) spec.stopGracePeriodMs = s.stop_grace_period;
  if (s.shm_size !== undefined) spec.shmSizeBytes = s.shm_size;
  if (s.platform !== undefined) spec.platform = s.platform;
  if (s.build !== undefined) {
    spec.build = buildSpec(s.build, s.platform, s.image !== undefined, at, {
      env: ctx.env,
      resolveLocal: (p) => resolvePath(p, model.dir, ctx.home),
      report: ctx.report,
      warn: ctx.warn,
    });
  }
  hostSettings(spec, s, ctx, at);
  attachFiles(spec, s, l.files, model, l.files.ctx, at, taken);
  attachHooks(spec, s, ctx, at);
  attachSchedule(spec, s.schedule, ctx.report, at);
  if (s.logging) {
    spec.logging = { options: sortedRecord(Object.entries(s.logging.options ?? {}).filter((kv): kv is [string, string] => kv[1] !== null)) };
    if (s.logging.driver !== undefined) spec.logging.driver = s.logging.driver;
  }
  return spec;
}

/** `deploy.restart_policy` wins over `restart`, as in Compose (docker/compose getRestartPolicy). */
function restartOf(s: ParsedContainer, ctx: NormalizeContext, at: Path): RestartPolicy | undefined {
  const rp = s.deploy?.restart_policy;
  if (!rp) return s.restart;
  const where = [...at, 'deploy', 'restart_policy'];
  // The Compose spec's default condition is `any`.
  const name = rp.condition ?? 'always';
  if (s.restart !== undefined) ctx.warn?.([...at, 'restart'], 'warning: `restart` is overridden by `deploy.restart_policy`, as in Compose');
  for (const k of ['delay', 'window'] as const) {
    if (rp[k] !== undefined) ctx.warn?.([...where, k], `warning: deploy.restart_policy.${k} is ignored: dom0 restarts with its own backoff (0.5 s doubling to 30 s)`);
  }
  if (rp.max_attempts === undefined || rp.max_attempts === 0) return { name };
  if (name !== 'on-failure') {
    ctx.report([...where, 'max_attempts'], `max_attempts needs \`condition: on-failure\` (the condition is ${rp.condition === undefined ? 'any, the default' : rp.condition})`);
    return { name };
  }
  return { name, maxRetries: rp.max_attempts };
}

/**
 * The single-host keys passed to the Engine API, and `deploy.resources` merged into the same
 * fields as mem_limit/cpus/pids_limit/mem_reservation (distinct values in both are an error, as in
 * compose-go). Only keys the manifest uses are set, so no existing config hash changes.
 */
function hostSettings(spec: ContainerSpec, s: ParsedContainer, ctx: NormalizeContext, at: Path): void {
  const set = <K extends keyof ContainerSpec>(k: K, v: ContainerSpec[K] | undefined): void => {
    if (v !== undefined) spec[k] = v;
  };
  if (s.external_links?.length) spec.externalLinks = s.external_links;
  set('macAddress', s.mac_address);
  set('securityOpt', s.security_opt);
  set('groupAdd', s.group_add);
  set('pid', s.pid);
  set('ipc', s.ipc);
  set('uts', s.uts);
  set('usernsMode', s.userns_mode);
  set('cgroup', s.cgroup);
  set('cgroupParent', s.cgroup_parent);
  set('runtime', s.runtime);
  set('cpuShares', s.cpu_shares);
  set('cpuQuota', s.cpu_quota);
  set('cpuPeriod', s.cpu_period);
  set('cpuset', s.cpuset);
  set('cpuRtRuntime', s.cpu_rt_runtime);
  set('cpuRtPeriod', s.cpu_rt_period);
  set('memswapLimitBytes', s.memswap_limit);
  set('memSwappiness', s.mem_swappiness);
  if (s.oom_kill_disable) spec.oomKillDisable = true;
  set('oomScoreAdj', s.oom_score_adj);
  set('dnsOpt', s.dns_opt);
  set('deviceCgroupRules', s.device_cgroup_rules);
  if (s.storage_opt) spec.storageOpt = sortedRecord(Object.entries(s.storage_opt));
  if (s.annotations) spec.annotations = sortedRecord(Object.entries(s.annotations));
  set('volumeDriver', s.volume_driver);
  set('isolation', s.isolation);
  if (s.blkio_config) spec.blkio = blkio(s.blkio_config);

  const d = s.deploy;
  const limits = d?.resources?.limits;
  const reservations = d?.resources?.reservations;
  const one = <T>(key: string, own: T | undefined, deployKey: string, fromDeploy: T | undefined): T | undefined => {
    if (own !== undefined && fromDeploy !== undefined && own !== fromDeploy) {
      ctx.report([...at, ...deployKey.split('.')], `can't set distinct values on '${key}' and '${deployKey}' (as in Compose); keep one`);
    }
    return fromDeploy ?? own;
  };
  set('memLimitBytes', one('mem_limit', s.mem_limit, 'deploy.resources.limits.memory', limits?.memory));
  set('cpus', one('cpus', s.cpus, 'deploy.resources.limits.cpus', limits?.cpus));
  set('pidsLimit', one('pids_limit', s.pids_limit, 'deploy.resources.limits.pids', limits?.pids));
  set('memReservationBytes', one('mem_reservation', s.mem_reservation, 'deploy.resources.reservations.memory', reservations?.memory));

  conflicts(spec, ctx, at);

  const requests = [
    ...(s.gpus ?? []).map((g) => deviceRequest({ ...g, capabilities: [...g.capabilities, 'gpu'] })),
    ...(reservations?.devices ?? []).map(deviceRequest),
  ];
  if (requests.length) spec.deviceRequests = requests;

  if (!d) return;
  const ignored = (path: string[], why: string) => ctx.warn?.([...at, 'deploy', ...path], `warning: deploy.${path.join('.')} is ignored: ${why}`);
  placement(spec, d.placement, ctx, [...at, 'deploy', 'placement']);
  for (const k of IGNORED_DEPLOY_KEYS) if (d[k] !== undefined) ignored([k], 'it is a Swarm setting; dom0 runs one container per entry on one host');
  if (reservations?.cpus !== undefined) ignored(['resources', 'reservations', 'cpus'], 'a CPU reservation is a Swarm scheduling hint (Compose ignores it too)');
  if (reservations?.generic_resources !== undefined) ignored(['resources', 'reservations', 'generic_resources'], 'generic resources are a Swarm feature');
}

/** deploy.placement: constraints select the hosts (reconcile/placement.ts); Swarm's scheduling hints are ignored. */
function placement(spec: ContainerSpec, p: ParsedDeploy['placement'], ctx: NormalizeContext, at: Path): void {
  if (!p) return;
  for (const k of ['preferences', 'max_replicas_per_node'] as const) {
    if (p[k] !== undefined) ctx.warn?.([...at, k], `warning: deploy.placement.${k} is ignored: it is a Swarm scheduling setting; dom0 runs one container per entry on each host it places it on`);
  }
  const constraints = p.constraints ?? [];
  constraints.forEach((c, i) => {
    if (SWARM_ONLY_SUBJECTS.has(c.subject)) {
      ctx.warn?.([...at, 'constraints', i], `warning: placement constraint \`${c.text}\` has no meaning outside a Swarm cluster: dom0 treats it as met on every host`);
    }
  });
  if (constraints.length) spec.placement = constraints;
}

/** Combinations the engine refuses at create: reported at validation instead of failing the apply. */
function conflicts(spec: ContainerSpec, ctx: NormalizeContext, at: Path): void {
  if (spec.cpus !== undefined) {
    for (const [k, v] of [['cpu_period', spec.cpuPeriod], ['cpu_quota', spec.cpuQuota]] as const) {
      if (v !== undefined && v > 0) ctx.report([...at, k], `\`${k}\` cannot be combined with \`cpus\` (the engine refuses both); use one`);
    }
  }
  const mem = spec.memLimitBytes;
  if (mem !== undefined && spec.memReservationBytes !== undefined && spec.memReservationBytes > mem) {
    ctx.report([...at], 'the memory reservation is above the memory limit; the engine refuses it', true);
  }
  const swap = spec.memswapLimitBytes;
  if (swap !== undefined && swap !== -1) {
    if (mem === undefined) ctx.report([...at, 'memswap_limit'], '`memswap_limit` needs a memory limit (`mem_limit` or `deploy.resources.limits.memory`)');
    else if (swap < mem) ctx.report([...at, 'memswap_limit'], '`memswap_limit` is memory plus swap: it must be at least the memory limit');
  }
}

function deviceRequest(d: ParsedDeviceRequest): DeviceRequest {
  const out: DeviceRequest = { capabilities: d.capabilities };
  if (d.driver !== undefined) out.driver = d.driver;
  // Compose: without `count` or `device_ids`, every matching device is reserved.
  if (d.count !== undefined || d.device_ids === undefined) out.count = d.count ?? -1;
  if (d.device_ids !== undefined) out.deviceIds = d.device_ids;
  if (d.options !== undefined) out.options = sortedRecord(Object.entries(d.options));
  return out;
}

function blkio(b: NonNullable<ParsedContainer['blkio_config']>): BlkioConfig {
  const out: BlkioConfig = {};
  if (b.weight !== undefined) out.weight = b.weight;
  if (b.weight_device) out.weightDevice = b.weight_device;
  if (b.device_read_bps) out.deviceReadBps = b.device_read_bps;
  if (b.device_read_iops) out.deviceReadIops = b.device_read_iops;
  if (b.device_write_bps) out.deviceWriteBps = b.device_write_bps;
  if (b.device_write_iops) out.deviceWriteIops = b.device_write_iops;
  return out;
}

/** env_file files in order, then `environment`; a key without a value comes from the environment or is dropped. */
function environment(e: Entry, s: ParsedContainer, model: Model, ctx: NormalizeContext): Record<string, string> {
  const env = new Map<string, string>();
  for (const f of s.env_file ?? []) {
    const abs = resolvePath(f.path, model.dir, ctx.home);
    const text = ctx.readFile(abs);
    const where = [e.section, e.key, 'env_file', ...f.seg];
    if (text === undefined) {
      if (f.required) ctx.report(where, `env_file ${JSON.stringify(f.path)} cannot be read (looked for ${abs})`);
      continue;
    }
    if (typeof text !== 'string') {
      ctx.report(where, `env_file ${JSON.stringify(f.path)} cannot be used: ${text.error} (${abs})`);
      continue;
    }
    const parsed = f.raw ? parseRawEnv(text, ctx.env) : parseDotenv(text, ctx.env);
    if (!parsed.ok) {
      ctx.report(where, `env_file ${JSON.stringify(f.path)} line ${parsed.line}: ${parsed.error}`);
      continue;
    }
    for (const [k, v] of Object.entries(parsed.values)) env.set(k, v);
  }
  for (const [k, v] of Object.entries(s.environment ?? {})) {
    const value = v ?? ctx.env(k);
    if (value === undefined) env.delete(k);
    else env.set(k, value);
  }
  return sortedRecord(env);
}

/**
 * `label_file` files in order, then `labels` over them (compose-go WithServicesLabelsResolved): each
 * file is read as an env file whose interpolation sees only the labels read before it, and a
 * missing file is an error.
 */
function labelsOf(e: Entry, s: ParsedContainer, model: Model, ctx: NormalizeContext): Record<string, string> {
  const out = new Map<string, string>();
  const files = s.label_file ?? [];
  files.forEach((file, i) => {
    const abs = resolvePath(file, model.dir, ctx.home);
    const where = [e.section, e.key, 'label_file', i]; // a single path (not a list) is located at the key
    const text = ctx.readFile(abs);
    if (text === undefined) return ctx.report(where, `label_file ${JSON.stringify(file)} not found (looked for ${abs})`);
    if (typeof text !== 'string') return ctx.report(where, `label_file ${JSON.stringify(file)} cannot be used: ${text.error} (${abs})`);
    const parsed = parseDotenv(text, (name) => out.get(name));
    if (!parsed.ok) return ctx.report(where, `label_file ${JSON.stringify(file)} line ${parsed.line}: ${parsed.error}`);
    for (const [k, v] of Object.entries(parsed.values)) out.set(k, v);
  });
  for (const [k, v] of Object.entries(s.labels ?? {})) out.set(k, v);
  return sortedRecord(out);
}

const tooManyPorts = `too many ports in the manifest (more than ${MAX_PORT_BINDINGS}, published and exposed together)`;

/** Takes the ranges' ports from the manifest-wide budget; false once it is exhausted. */
function spend(ranges: PortRange[], budget: { ports: number }, exhausted: () => void): boolean {
  const total = ranges.reduce((n, r) => n + portCount(r), 0);
  budget.ports -= total;
  if (budget.ports < 0) {
    if (budget.ports + total >= 0) exhausted(); // report once, at the entry that crossed the limit
    return false;
  }
  return true;
}

function resolvePath(p: string, dir: string, home: string): string {
  if (p === '~' || p.startsWith('~/')) return join(home, p.slice(1));
  return isAbsolute(p) ? p : resolve(dir, p);
}

function resolveMount(m: Mount, dir: string, ctx: NormalizeContext, at: Path): Mount {
  if (m.type !== 'bind') return m;
  const source = resolvePath(m.source, dir, ctx.home);
  // Written relative, it was resolved where dom0 runs: the engine needs the host's path.
  if (!ctx.bindSource || isAbsolute(m.source)) return { ...m, source };
  const r = ctx.bindSource(m.source, source);
  if (!r.ok) ctx.report(at, r.error);
  return { ...m, source: r.ok ? r.source : source };
}

function healthcheck(h: NonNullable<ParsedContainer['healthcheck']>): Healthcheck {
  if (h.disable) return { test: ['NONE'] };
  // An empty test keeps the image's own test while overriding its timings.
  const out: Healthcheck = { test: h.test ?? [] };
  if (h.interval !== undefined) out.intervalMs = h.interval;
  if (h.timeout !== undefined) out.timeoutMs = h.timeout;
  if (h.retries !== undefined) out.retries = h.retries;
  if (h.start_period !== undefined) out.startPeriodMs = h.start_period;
  if (h.start_interval !== undefined) out.startIntervalMs = h.start_interval;
  return out;
}

/** Target of `network_mode` (or `pid`, `ipc`) `service:X` / `container:X` when it is a manifest entry. */
export function networkModeTarget(mode: string | undefined, byContainerName: Map<string, string>, kinds: Map<string, unknown>): string | undefined {
  if (mode?.startsWith('service:')) return mode.slice('service:'.length);
  if (mode?.startsWith('container:')) {
    const x = mode.slice('container:'.length);
    return kinds.has(x) ? x : byContainerName.get(x);
  }
  return undefined;
}

function dependencies(
  s: ParsedContainer,
  volumesFrom: ContainerSpec['volumesFrom'],
  links: ContainerSpec['links'],
  l: Lookups,
): Dependency[] {
  const deps = new Map<string, Dependency>();
  for (const d of s.depends_on ?? []) {
    if (deps.has(d.name)) continue;
    const dep: Dependency = {
      name: d.name,
      condition: d.condition ?? 'service_started',
      restart: d.restart ?? false,
      required: d.required ?? true,
    };
    if (d.timeout !== undefined) dep.timeoutMs = d.timeout;
    deps.set(d.name, dep);
  }
  const implicit = (name: string | undefined, why: NonNullable<Dependency['implicit']>, restart = false): void => {
    if (name === undefined) return;
    const declared = deps.get(name);
    const holds = why === 'volumes_from' ? undefined : why;
    if (declared) {
      // in depends_on as well: its condition and restart stand, and the reference still binds
      if (holds && !declared.holds) declared.holds = holds;
      return;
    }
    const condition = l.kinds.get(name) === 'job' ? 'service_completed_successfully' : 'service_started';
    deps.set(name, { name, condition, restart, required: true, implicit: why, ...(holds ? { holds } : {}) });
  };
  for (const v of volumesFrom) implicit(v.name, 'volumes_from');
  for (const k of links) implicit(k.name, 'links');
  implicit(networkModeTarget(s.network_mode, l.byContainerName, l.kinds), 'network_mode');
  // Sharing another entry's PID or IPC namespace: restarted with it, as Compose does.
  implicit(networkModeTarget(s.pid, l.byContainerName, l.kinds), 'pid', true);
  implicit(networkModeTarget(s.ipc, l.byContainerName, l.kinds), 'ipc', true);
  return [...deps.values()].sort(byName);
}

const IFNAME_OPT = 'com.docker.network.endpoint.ifname';

function attachments(key: string, s: ParsedContainer, ctx: NormalizeContext, at: Path): Record<string, NetworkAttachment> {
  if (s.network_mode !== undefined) return {};
  const list = s.networks ?? [{ name: 'default', seg: 0, aliases: [] }];
  const out = sortedRecord(
    list.map((a): [string, NetworkAttachment] => {
      const att: NetworkAttachment = { aliases: [...new Set([key, ...a.aliases])] };
      if (a.ipv4Address !== undefined) att.ipv4Address = a.ipv4Address;
      if (a.ipv6Address !== undefined) att.ipv6Address = a.ipv6Address;
      if (a.priority !== undefined) att.priority = a.priority;
      if (a.gwPriority !== undefined) att.gwPriority = a.gwPriority;
      if (a.linkLocalIps?.length) att.linkLocalIps = a.linkLocalIps;
      if (a.macAddress !== undefined) att.macAddress = a.macAddress;
      const opts = new Map(Object.entries(a.driverOpts ?? {}));
      if (a.interfaceName !== undefined) {
        // Compose sends interface_name as this endpoint driver option (Engine API 1.49+ names the interface by it).
        const given = opts.get(IFNAME_OPT);
        if (given !== undefined && given !== a.interfaceName) {
          ctx.warn?.([...at, 'networks', a.seg, 'interface_name'], `warning: interface_name overrides driver_opts ${IFNAME_OPT} (${JSON.stringify(given)}), as in Compose`);
        }
        opts.set(IFNAME_OPT, a.interfaceName);
      }
      if (opts.size) att.driverOpts = sortedRecord(opts);
      return [a.name, att];
    }),
  );
  // The service-level mac_address goes on the primary network's endpoint: a different one there is a conflict (as in Compose).
  const primary = primaryNetwork(out);
  const mac = primary === undefined ? undefined : out[primary]!.macAddress;
  if (s.mac_address !== undefined && mac !== undefined && mac.toLowerCase() !== s.mac_address.toLowerCase()) {
    ctx.report([...at, 'mac_address'], `the service-level mac_address must have the same value as the one of network ${JSON.stringify(primary)}, its primary network; keep one`);
  }
  return out;
}

/** The networks in the order they are connected, as compose-go's NetworksByPriority: highest `priority` first, then by key. */
export function networksByPriority(networks: Record<string, NetworkAttachment>): string[] {
  return Object.keys(networks).sort((a, b) => (networks[b]!.priority ?? 0) - (networks[a]!.priority ?? 0) || a.localeCompare(b));
}

function primaryNetwork(networks: Record<string, NetworkAttachment>): string | undefined {
  return networksByPriority(networks)[0];
}

function volumes(model: Model): Record<string, VolumeSpec> {
  const out: Array<[string, VolumeSpec]> = [];
  for (const [key, v] of model.volumes) {
    if (!v) continue;
    const external = v.external ?? false;
    const spec: VolumeSpec = {
      key,
      name: v.name ?? (external ? key : `${model.name}_${key}`),
      driverOpts: sortedRecord(Object.entries(v.driver_opts ?? {})),
      labels: sortedRecord(Object.entries(v.labels ?? {})),
      external,
    };
    if (v.driver !== undefined) spec.driver = v.driver;
    out.push([key, spec]);
  }
  return sortedRecord(out);
}

function networks(model: Model, containers: ContainerSpec[]): Record<string, NetworkSpec> {
  const out: Array<[string, NetworkSpec]> = [];
  for (const [key, n] of model.networks) {
    if (!n) continue;
    const external = n.external ?? false;
    const fallback = key === 'default' ? model.name : external ? key : `${model.name}_${key}`;
    const spec: NetworkSpec = {
      key,
      name: n.name ?? fallback,
      driverOpts: sortedRecord(Object.entries(n.driver_opts ?? {})),
      labels: sortedRecord(Object.entries(n.labels ?? {})),
      external,
      internal: n.internal ?? false,
      attachable: n.attachable ?? false,
      enableIpv6: n.enable_ipv6 ?? false,
    };
    if (n.driver !== undefined) spec.driver = n.driver;
    if (n.enable_ipv4 !== undefined) spec.enableIpv4 = n.enable_ipv4;
    if (n.ipam) {
      type IpamConfig = NonNullable<NetworkSpec['ipam']>['config'][number];
      spec.ipam = {
        config: (n.ipam.config ?? []).map((c) => {
          const o: IpamConfig = {};
          if (c.subnet !== undefined) o.subnet = c.subnet;
          if (c.gateway !== undefined) o.gateway = c.gateway;
          if (c.ip_range !== undefined) o.ipRange = c.ip_range;
          if (c.aux_addresses !== undefined) o.auxAddresses = sortedRecord(Object.entries(c.aux_addresses));
          return o;
        }),
      };
      if (n.ipam.driver !== undefined) spec.ipam.driver = n.ipam.driver;
      if (n.ipam.options !== undefined) spec.ipam.options = sortedRecord(Object.entries(n.ipam.options));
    }
    out.push([key, spec]);
  }
  // The fleet network exists unless the user defined it, or every container opted out via network_mode.
  const allOptOut = containers.length > 0 && containers.every((c) => c.networkMode !== undefined);
  if (!model.networks.has('default') && !allOptOut) {
    out.push([
      'default',
      { key: 'default', name: model.name, driver: 'bridge', driverOpts: {}, labels: {}, external: false, internal: false, attachable: false, enableIpv6: false },
    ]);
  }
  return sortedRecord(out);
}

function registries(model: Model, ctx: NormalizeContext): Record<string, RegistryCredential> {
  const out: Array<[string, RegistryCredential]> = [];
  for (const [host, r] of model.registries) {
    if (!r) continue;
    const cred: RegistryCredential = { host };
    if (r.username !== undefined) cred.username = r.username;
    if (r.password !== undefined) cred.password = r.password;
    if (r.password_file !== undefined) {
      const abs = resolvePath(r.password_file, model.dir, ctx.home);
      const text = ctx.readFile(abs);
      if (text === undefined) ctx.report(['registries', host, 'password_file'], `password_file ${JSON.stringify(r.password_file)} cannot be read (looked for ${abs})`);
      else if (typeof text !== 'string') ctx.report(['registries', host, 'password_file'], `password_file ${JSON.stringify(r.password_file)} cannot be used: ${text.error} (${abs})`);
      else if (r.password === undefined) cred.password = text.replace(/\r?\n$/, '');
    }
    if (r.identitytoken !== undefined) cred.identityToken = r.identitytoken;
    out.push([host, cred]);
  }
  return sortedRecord(out);
}
