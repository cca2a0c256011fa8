// The narrow slice of the Docker Engine that dom0 uses, in dom0's own types.
// One adapter (docker-engine.ts) implements it; nothing else talks to the engine.
import type { LogLine } from './log-stream.js';

export type { LogLine } from './log-stream.js';

export type ContainerState =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

export type HealthState = 'starting' | 'healthy' | 'unhealthy';

export interface MountInfo {
  type: string; // "volume" | "bind" | "tmpfs" | ...
  name?: string; // volume name
  source: string;
  destination: string;
  rw: boolean;
}

/** One row of the container list: what a single list call tells about a container. */
export interface ContainerSummary {
  id: string;
  name: string; // without the leading "/"
  image: string;
  imageId: string;
  state: ContainerState;
  status: string; // "Up 3 minutes (healthy)", "Exited (1) 2 seconds ago"
  health?: HealthState; // parsed from status
  exitCode?: number; // parsed from status when exited
  labels: Record<string, string>;
  mounts: MountInfo[];
  created: number; // unix seconds
}

export interface ContainerDetails extends ContainerSummary {
  startedAt?: string; // ISO; undefined when never started
  finishedAt?: string;
  restartCount: number;
  oomKilled: boolean;
  networkMode?: string;
  hasHealthcheck: boolean;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  volumes: string[]; // VOLUME paths declared by the image
  labels: Record<string, string>;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface PullProgress {
  image: string;
  status: string;
  layer?: string;
  current?: number;
  total?: number;
}

export interface PullOptions {
  auth?: RegistryAuth;
  onProgress?: (p: PullProgress) => void;
  /** Abort when no bytes arrive for this long (0 = never). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  /** `os[/arch[/variant]]`: the `platform` query parameter. */
  platform?: string;
}

/** POST /build (the Engine API builder): a local context as a tar stream, or a git URL the engine fetches. */
export interface BuildRequest {
  /** The names the image gets; the first is the entry's image. */
  tags: string[];
  /** The context as an uncompressed tar; absent with `remote`. */
  context?: AsyncIterable<Uint8Array>;
  remote?: string;
  /** The Dockerfile's path inside the context (or the remote repository). */
  dockerfile?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  network?: string;
  extraHosts: string[];
  shmSizeBytes?: number;
  noCache: boolean;
  pull: boolean;
  cacheFrom: string[];
  platform?: string;
  /** Each line of the builder's output ("Step 1/3 : FROM busybox", a RUN's output...). */
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface CreateNetworkRequest {
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels: Record<string, string>;
  internal?: boolean;
  attachable?: boolean;
  enableIpv6?: boolean;
  enableIpv4?: boolean;
  ipam?: {
    driver?: string;
    config: Array<{ subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }>;
    options?: Record<string, string>;
  };
}

export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

export interface CreateVolumeRequest {
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * The body of a container create call, in the Engine API's own field names (the wire format
 * is the contract here; container-config.ts builds it from a spec).
 */
export interface CreateContainerRequest {
  name: string;
  body: Record<string, unknown>;
  /** Networks to connect after create, before start (the first one goes in the create body). */
  extraNetworks: Array<{
    network: string;
    aliases: string[];
    ipv4Address?: string;
    ipv6Address?: string;
    links?: string[];
    linkLocalIps?: string[];
    macAddress?: string;
    driverOpts?: Record<string, string>;
    gwPriority?: number;
  }>;
  /** `os[/arch[/variant]]`: the `platform` query parameter of the create call. */
  platform?: string;
}

/** One file written into a container: a secret or config whose value is not a file on the host. */
export interface ContainerFile {
  path: string; // absolute, inside the container; missing parent directories are made
  content: string;
  uid?: number; // default 0
  gid?: number; // default 0
  mode: number; // permission bits, e.g. 0o444
}

/** A command run in a running container (a lifecycle hook), as `docker exec` runs it. */
export interface ExecRequest {
  command: string[];
  user?: string;
  privileged?: boolean;
  workingDir?: string;
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  /** The end of its stdout and stderr, interleaved (a few KB at most). */
  output: string;
}

export interface EngineEvent {
  type: string; // "container" | "network" | ...
  action: string; // "start" | "die" | "health_status: healthy" | "destroy" | ...
  id: string;
  attributes: Record<string, string>;
  timeNano: number;
}

export interface EventStream {
  on(listener: (e: EngineEvent) => void): () => void;
  /** Resolves when the stream ends (engine gone, or close()). */
  readonly ended: Promise<void>;
  close(): void;
}

export interface EngineVersion {
  version: string; // the engine's release, e.g. "26.1.5"
  apiVersion: string; // the Engine API version it speaks, e.g. "1.45"
}

/** What `docker info` tells about the host: the facts deploy.placement.constraints match. */
export interface EngineInfo {
  /** The engine's host name (`Name`): the host's hostname, also when dom0 runs in a container. */
  name: string;
  /** The engine's labels (`dockerd --label k=v`, daemon.json "labels"), parsed from "k=v". */
  labels: Record<string, string>;
  os: string; // "linux"
  arch: string; // "x86_64", "aarch64" (as the engine says it)
  /** Swarm.LocalNodeState: "inactive" | "active" | "pending" | "error" | "locked" | "" */
  swarm: string;
}

export interface StreamLogsOptions {
  follow?: boolean;
  /** Lines from the end of the log; default all. */
  tail?: number;
  /** Only lines after this time, in Unix seconds. */
  since?: number;
  /** Each line starts with the engine's RFC 3339 timestamp and a space. */
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface Engine {
  ping(): Promise<void>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
  listContainers(): Promise<ContainerSummary[]>;
  inspectContainer(idOrName: string): Promise<ContainerDetails | undefined>;
  createContainer(req: CreateContainerRequest): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  restartContainer(id: string, timeoutSeconds?: number): Promise<void>;
  /**
   * `volumes: true` also removes the container's anonymous volumes (`docker rm -v`); named
   * volumes are never removed here. Without it (the default) anonymous volumes outlive it.
   */
  removeContainer(id: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  renameContainer(id: string, newName: string): Promise<void>;
  containerLogs(id: string, tailLines: number): Promise<string>;
  /**
   * A container's log lines as `docker logs` gives them, each passed to `onLine`; resolves at the
   * end of the log, or with `follow` when the container stops or `signal` aborts.
   */
  streamLogs(id: string, opts: StreamLogsOptions, onLine: (line: LogLine) => void): Promise<void>;
  /**
   * Copies the directory `path` of one container into the same path of another (as `docker cp`
   * does; works on stopped and created containers, through their volumes).
   */
  copyPath(fromId: string, path: string, toId: string): Promise<void>;
  /** Writes one file into a container, created or running (a one-file tar extracted at "/"). */
  putFile(id: string, file: ContainerFile): Promise<void>;
  /** Runs a command in a running container and waits for it to exit. */
  exec(id: string, req: ExecRequest): Promise<ExecResult>;

  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  pullImage(ref: string, opts?: PullOptions): Promise<void>;
  /** Builds and tags an image; resolves with its ID. The build's own failure is an EngineError of kind `invalid`. */
  buildImage(req: BuildRequest): Promise<string>;

  listNetworks(): Promise<NetworkInfo[]>;
  createNetwork(req: CreateNetworkRequest): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;

  inspectVolume(name: string): Promise<VolumeInfo | undefined>;
  /** Volumes carrying a label ("key" or "key=value"). */
  listVolumes(opts: { label: string }): Promise<VolumeInfo[]>;
  createVolume(req: CreateVolumeRequest): Promise<void>;
  removeVolume(name: string): Promise<void>;

  /** Container events, optionally only those carrying a label ("key=value"). */
  events(opts?: { label?: string }): Promise<EventStream>;

  /** Calls made so far, by operation (for the benchmark). */
  readonly calls: Readonly<Record<string, number>>;
}
