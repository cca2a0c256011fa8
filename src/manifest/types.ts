// The normalized manifest: what every later stage (hash, plan, apply) works on.
// Everything here is plain data, defaults filled in, Compose short syntaxes expanded.

import type { SwarmDeploy, SwarmTarget } from './swarm.js';
import type { PlacementConstraint } from './placement.js';

export type EntryKind = 'service' | 'job' | 'volume';

export interface Diagnostic {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  message: string;
}

export type RestartName = 'no' | 'always' | 'unless-stopped' | 'on-failure';
export interface RestartPolicy {
  name: RestartName;
  maxRetries?: number; // only for on-failure[:N]
}

export type DependsCondition =
  | 'service_started'
  | 'service_healthy'
  | 'service_completed_successfully';

export interface Dependency {
  name: string; // entry key of the dependency
  condition: DependsCondition;
  restart: boolean; // Compose: restart this entry when the dependency is updated
  required: boolean;
  timeoutMs?: number; // per-dependency wait timeout (x-dom0 extension: `timeout: 2m` in the map form)
  implicit?: 'volumes_from' | 'links' | 'network_mode' | 'pid' | 'ipc'; // set when not declared in depends_on
  /** This entry holds a live reference to the dependency's container (declared in depends_on or not): restarted after it. */
  holds?: 'links' | 'network_mode' | 'pid' | 'ipc';
}

export interface PortBinding {
  hostIp?: string;
  hostPort?: string; // single port; ranges are expanded into one binding per port
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export type Mount =
  | { type: 'bind'; source: string; target: string; readOnly: boolean; bindPropagation?: string; selinux?: 'z' | 'Z' } // selinux: relabel shared (z) or private (Z)
  | { type: 'volume'; source: string; target: string; readOnly: boolean; noCopy?: boolean } // named volume (source = volume key; resolved to real name in `volumes`)
  | { type: 'anonymous'; target: string; readOnly: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number };

export interface VolumesFrom {
  name: string; // entry key (a volume container, service or job)
  readOnly: boolean;
}

export interface Link {
  name: string; // entry key
  alias: string;
}

export interface Healthcheck {
  test: string[]; // ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"]
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  startIntervalMs?: number;
}

export interface NetworkAttachment {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  // Set only when the manifest uses them (no existing config hash changes).
  priority?: number; // connect order: highest first, then by key (the first is the primary network)
  gwPriority?: number; // EndpointSettings.GwPriority (Engine API 1.48+)
  driverOpts?: Record<string, string>; // interface_name is added as com.docker.network.endpoint.ifname
  linkLocalIps?: string[];
  macAddress?: string;
}

export interface Logging {
  driver?: string;
  options: Record<string, string>;
}

/** A device request (`gpus`, `deploy.resources.reservations.devices`): HostConfig.DeviceRequests. */
export interface DeviceRequest {
  capabilities: string[];
  driver?: string;
  count?: number; // -1 = all
  deviceIds?: string[];
  options?: Record<string, string>;
}

export interface BlkioConfig {
  weight?: number;
  weightDevice?: Array<{ path: string; weight: number }>;
  deviceReadBps?: Array<{ path: string; rate: number }>;
  deviceReadIops?: Array<{ path: string; rate: number }>;
  deviceWriteBps?: Array<{ path: string; rate: number }>;
  deviceWriteIops?: Array<{ path: string; rate: number }>;
}

/** A lifecycle hook (`post_start`, `pre_stop`): a command exec'd in the service's container. */
export interface LifecycleHook {
  command: string[];
  user?: string;
  privileged: boolean;
  workingDir?: string;
  environment: Record<string, string>;
}

/**
 * A secret or config whose value is not a host file (`environment:`, `content:`): written into
 * the container after create, before start. Only the value's digest is here (and so in the
 * config hash); the value itself is in Manifest.fileContents.
 */
export interface FileCopy {
  target: string;
  digest: string; // envValueDigest of the value ('' for an external one)
  /** Swarm target only: a config (a Swarm config), not a secret. */
  config?: true;
  /** Swarm target only: an `external: true` object, by its name on the Swarm (dom0 neither creates nor removes it). */
  external?: string;
  uid?: number;
  gid?: number;
  mode: number;
}

export type PullPolicy = 'always' | 'missing' | 'never' | 'build' | { everyMs: number };

/** `build:` of an entry, normalized: what dom0 sends to the Engine API's POST /build. */
export interface BuildSpec {
  /** An absolute directory as dom0 sees it (relative contexts resolve against the manifest's directory), or a git URL (`remote`). */
  context: string;
  /** The context is a git URL the engine fetches itself (sent as `remote`). */
  remote: boolean;
  /** Relative to the context (default "Dockerfile"); unset with `dockerfileInline`. */
  dockerfile?: string;
  dockerfileInline?: string;
  /** Build args; a bare `KEY` takes its value from dom0's environment, and is dropped when unset. */
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  network?: string;
  extraHosts: string[]; // "host:ip"
  shmSizeBytes?: number;
  noCache: boolean;
  pull: boolean;
  cacheFrom: string[];
  /** More names for the built image, besides the entry's `image`. */
  tags: string[];
  platform?: string;
  /** `image` was not set: the image is named `<fleet>-<entry>` and never pulled. */
  localName: boolean;
}

/** A job's `schedule:` (manifest/schedule.ts). */
export interface JobSchedule {
  cron: string;
  timezone?: string;
  /** Run once at boot when a scheduled time passed while dom0 was down. */
  catchUp: boolean;
}

export interface ContainerSpec {
  kind: 'service' | 'job';
  name: string; // the entry key
  containerName: string; // container_name or the key
  image: string; // as written (after interpolation), e.g. "busybox:latest"; with `build` and no `image`: `<fleet>-<entry>`
  /** Built through the Engine API before containers are created (see reconcile/build.ts). Not hashed: the image ID is. */
  build?: BuildSpec;
  /** Jobs only: run again at these times under `dom0 up`. Not hashed: a new schedule re-runs nothing. */
  schedule?: JobSchedule;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>; // env_file merged first, then environment; keys without value are resolved from the process env or dropped
  ports: PortBinding[];
  expose: string[]; // "80/tcp"
  volumes: Mount[];
  volumesFrom: VolumesFrom[];
  links: Link[];
  dependsOn: Dependency[]; // declared + implicit, sorted by name
  restart: RestartPolicy; // jobs default to "no"
  healthcheck?: Healthcheck; // undefined = image default; { test: ["NONE"] } = disabled
  labels: Record<string, string>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  domainname?: string;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  devices: string[]; // "/dev/x:/dev/y:rwm"
  networkMode?: string; // "host" | "none" | "bridge" | "container:NAME" | "service:KEY"
  networks: Record<string, NetworkAttachment>; // key = network key from the manifest ("default" = the fleet network)
  extraHosts: string[]; // "host:ip"
  dns: string[];
  dnsSearch: string[];
  tmpfs: string[]; // "/run" or "/run:size=64m"
  init: boolean;
  readOnly: boolean;
  stopSignal?: string;
  stopGracePeriodMs?: number;
  memLimitBytes?: number;
  cpus?: number;
  shmSizeBytes?: number;
  sysctls: Record<string, string>;
  ulimits: Record<string, { soft: number; hard: number }>;
  pullPolicy: PullPolicy;
  tty: boolean;
  stdinOpen: boolean;
  logging?: Logging;
  platform?: string;
  // Single-host keys passed to the Engine API. Optional and unset unless the manifest uses them,
  // so adding them changed no existing config hash.
  macAddress?: string; // on the first network's endpoint (see networkConfig)
  externalLinks?: string[]; // "container:alias", containers outside the manifest
  securityOpt?: string[];
  groupAdd?: string[];
  pid?: string; // "service:KEY" is sent as container:<its container name>
  ipc?: string; // as pid
  uts?: string;
  usernsMode?: string;
  cgroup?: 'host' | 'private';
  cgroupParent?: string;
  runtime?: string;
  cpuShares?: number;
  cpuQuota?: number; // microseconds
  cpuPeriod?: number; // microseconds
  cpuset?: string;
  cpuRtRuntime?: number; // microseconds
  cpuRtPeriod?: number; // microseconds
  memReservationBytes?: number; // mem_reservation or deploy.resources.reservations.memory
  memswapLimitBytes?: number; // -1 = unlimited swap
  memSwappiness?: number;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  pidsLimit?: number; // pids_limit or deploy.resources.limits.pids; -1 = unlimited
  dnsOpt?: string[];
  deviceCgroupRules?: string[];
  deviceRequests?: DeviceRequest[]; // gpus, then deploy.resources.reservations.devices
  blkio?: BlkioConfig;
  storageOpt?: Record<string, string>;
  annotations?: Record<string, string>;
  fileCopies?: FileCopy[]; // secrets and configs from `environment:` or `content:`
  postStart?: LifecycleHook[]; // services only
  preStop?: LifecycleHook[];
  volumeDriver?: string; // HostConfig.VolumeDriver, and the driver of the entry's backing volumes
  isolation?: string; // HostConfig.Isolation (a Linux engine accepts only "default")
  /** deploy.placement.constraints: the hosts this entry runs on (all must hold). Not hashed: moving an entry between hosts does not recreate it where it stays. */
  placement?: PlacementConstraint[];
  // Where the entry was declared (set by normalize; no stage reads it yet). Not hashed.
  position?: { line: number; col: number };
}

export interface VolumeContainerSpec {
  kind: 'volume';
  name: string;
  containerName: string;
  image: string;
  paths: string[]; // anonymous volumes the container declares (docker create -v PATH)
  command: string[]; // default ["/bin/true"]
  labels: Record<string, string>;
  pullPolicy: PullPolicy;
  position?: { line: number; col: number };
}

export type EntrySpec = ContainerSpec | VolumeContainerSpec;

export interface VolumeSpec {
  key: string;
  name: string; // real engine name: `name:` or `<fleet>_<key>`
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  external: boolean;
}

export interface NetworkSpec {
  key: string;
  name: string; // real engine name: `name:` or `<fleet>_<key>`; "default" → `<fleet>`
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  external: boolean;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  enableIpv4?: boolean; // set only when written (Engine API 1.47+ honours false)
  ipam?: {
    driver?: string;
    config: Array<{ subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }>;
    options?: Record<string, string>;
  };
}

export interface RegistryCredential {
  host: string; // "127.0.0.1:5000", "docker.io", ...
  username?: string;
  password?: string; // resolved from password | password_file | ${ENV}
  identityToken?: string;
}

export interface Manifest {
  file: string; // absolute path of the manifest
  name: string; // fleet name
  /** Where this fleet's manifest lives, as the host sees it: recorded on every container; only containers
   *  applied from the same origin may be removed as orphans or by `down`. */
  origin: string;
  volumeContainers: VolumeContainerSpec[];
  jobs: ContainerSpec[];
  services: ContainerSpec[];
  volumes: Record<string, VolumeSpec>;
  networks: Record<string, NetworkSpec>; // always contains "default" (the fleet network) unless every entry uses network_mode
  registries: Record<string, RegistryCredential>;
  pullPolicy: PullPolicy; // manifest default (x-dom0 top-level `pull_policy`), "missing" if unset
  /** Values of secrets and configs written into containers (FileCopy), by digest: text, or (a `file:` one on a Swarm) the file's bytes. A Map, so it never shows in JSON. */
  fileContents?: ReadonlyMap<string, string | Uint8Array>;
  /** Entries whose profiles are all inactive: not part of this run, and not orphans either. */
  disabled?: string[];
  /** `target: swarm`: deployed to a Docker Swarm (reconcile/swarm); unset for one host. */
  target?: SwarmTarget;
  /** With the Swarm target: each service's and job's Swarm-only `deploy:` settings, by entry key. */
  swarmDeploy?: Record<string, SwarmDeploy>;
}

export type LoadResult =
  | { ok: true; manifest: Manifest; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/** All entries of a manifest, volume containers first. */
export function entries(m: Manifest): EntrySpec[] {
  return [...m.volumeContainers, ...m.jobs, ...m.services];
}
