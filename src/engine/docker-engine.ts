// The one Engine implementation, over dockerode: each Engine call as a Docker API call, and the
// API's answers as the Engine's types. The only file that imports dockerode; errors are
// normalized in errors.ts, streams read in streams.ts.
import './slim-dockerode.js';
import Docker from 'dockerode';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import type {
  BuildRequest,
  ContainerDetails,
  ContainerFile,
  ContainerState,
  ContainerSummary,
  CreateContainerRequest,
  CreateNetworkRequest,
  CreateVolumeRequest,
  Engine,
  EngineInfo,
  EngineVersion,
  EventStream,
  ExecRequest,
  ExecResult,
  HealthState,
  ImageInfo,
  MountInfo,
  NetworkInfo,
  PullOptions,
  StreamLogsOptions,
  VolumeInfo,
} from './engine.js';
import { type LogLine, LogLines } from './log-stream.js';
import type { CreateSwarmObjectRequest, ServiceInfo, ServiceSpec, SwarmEngine, SwarmInfo, SwarmObjectFilter, SwarmObjectInfo, TaskInfo, TaskState } from './swarm-engine.js';
import { followBuild } from './build-stream.js';
import { endpointSettings } from './container-config.js';
import { type DockerEndpoint, EndpointError, resolveDockerEndpoint } from './docker-endpoint.js';
import { parseEngineLabels } from './engine-labels.js';
import { normalizeError } from './errors.js';
import { registryAuthHeader } from './registry-auth.js';
import { demux, eventStream, followPull, StallWatch } from './streams.js';
import { singleFileTar } from './tar.js';

/** How much of an exec's output is kept (its end). */
const EXEC_OUTPUT_BYTES = 4096;

export interface DockerEngineOptions {
  /** "unix:///var/run/docker.sock", "tcp://host:port", or a bare socket path. Default: resolved as the docker CLI does (docker-endpoint.ts). */
  host?: string;
}

/** The engine's address as the docker CLI would pick it (DOCKER_HOST, DOCKER_CONTEXT, currentContext). */
export function dockerHostFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDockerEndpoint(env).host;
}

function modemOptions(endpoint: DockerEndpoint): Docker.DockerOptions {
  const { host, tls } = endpoint;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  if (url.protocol === 'ssh:') {
    // as the docker CLI: `docker system dial-stdio` on the remote, keys from the ssh agent
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port || 22),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions;
  }
  if (!tls) return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
  const files = { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) };
  return {
    host: url.hostname,
    port: Number(url.port || 2376),
    protocol: 'https',
    ...files,
    ...(tls.verify ? {} : { agent: new HttpsAgent({ ...files, rejectUnauthorized: false }) }),
  };
}

export class DockerEngine implements Engine {
  protected readonly docker: Docker;
  private readonly counts: Record<string, number> = {};
  readonly host: string;

  constructor(opts: DockerEngineOptions = {}) {
    const endpoint = opts.host !== undefined ? { host: opts.host, source: 'option' } : resolveDockerEndpoint();
    this.host = endpoint.host;
    try {
      this.docker = new Docker(modemOptions(endpoint));
    } catch (e) {
      // docker-modem reads DOCKER_CERT_PATH's files itself, and throws when one is missing
      throw new EndpointError(`cannot use the engine at ${endpoint.host} (${endpoint.source}): ${(e as Error).message}`);
    }
  }

  get calls(): Readonly<Record<string, number>> {
    return this.counts;
  }

  protected async call<T>(op: string, fn: () => Promise<T>, notFound?: () => T): Promise<T> {
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    try {
      return await fn();
    } catch (e) {
      const err = normalizeError(e, this.host);
      if (notFound && err.kind === 'not-found') return notFound();
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.docker.ping());
  }

  async version(): Promise<EngineVersion> {
    const v = await this.call('version', () => this.docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  async info(): Promise<EngineInfo> {
    const i = (await this.call('info', () => this.docker.info())) as {
      Name?: string;
      Labels?: string[] | null;
      OSType?: string;
      Architecture?: string;
      Swarm?: { LocalNodeState?: string };
    };
    return {
      name: i.Name ?? '',
      labels: parseEngineLabels(i.Labels ?? []),
      os: i.OSType ?? '',
      arch: i.Architecture ?? '',
      swarm: i.Swarm?.LocalNodeState ?? '',
    };
  }

  async listContainers(): Promise<ContainerSummary[]> {
    const rows = await this.call('listContainers', () => this.docker.listContainers({ all: true }));
    return rows.map(toSummary);
  }

  async inspectContainer(idOrName: string): Promise<ContainerDetails | undefined> {
    const c = await this.call<Docker.ContainerInspectInfo | undefined>(
      'inspectContainer',
      () => this.docker.getContainer(idOrName).inspect(),
      () => undefined,
    );
    return c ? toDetails(c) : undefined;
  }

  async createContainer(req: CreateContainerRequest): Promise<string> {
    const created = await this.call('createContainer', () =>
      // dockerode sends the top-level keys as the query too: `platform` is read from there (Engine API 1.41+).
      this.docker.createContainer({ ...(req.body as Docker.ContainerCreateOptions), name: req.name, ...(req.platform ? { platform: req.platform } : {}) }),
    );
    for (const n of req.extraNetworks) {
      await this.call('connectNetwork', () =>
        this.docker.getNetwork(n.network).connect({
          Container: created.id,
          EndpointConfig: endpointSettings(n),
        }),
      );
    }
    return created.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('startContainer', async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 304) return; // already started
        throw e;
      }
    });
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.call('stopContainer', async () => {
      try {
        await this.docker.getContainer(id).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 304) return; // already stopped
        throw e;
      }
    });
  }

  async restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    await this.call('restartContainer', () =>
      this.docker.getContainer(id).restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }),
    );
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.call(
      'removeContainer',
      () => this.docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false }),
      () => undefined,
    );
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    await this.call('renameContainer', () => this.docker.getContainer(id).rename({ name: newName }));
  }

  async containerLogs(id: string, tailLines: number): Promise<string> {
    return this.call(
      'containerLogs',
      async () => {
        const c = this.docker.getContainer(id);
        const info = await c.inspect();
        const buf = (await c.logs({ stdout: true, stderr: true, tail: tailLines, follow: false })) as unknown as Buffer;
        return info.Config.Tty ? buf.toString('utf8') : demux(buf);
      },
      () => '',
    );
  }

  async streamLogs(id: string, o: StreamLogsOptions, onLine: (line: LogLine) => void): Promise<void> {
    const c = this.docker.getContainer(id);
    const info = await this.call('inspectContainer', () => c.inspect());
    const lines = new LogLines(info.Config.Tty);
    const query = { stdout: true, stderr: true, timestamps: o.timestamps ?? false, since: o.since ?? 0, ...(o.tail !== undefined ? { tail: o.tail } : {}) };
    if (!o.follow) {
      const buf = (await this.call('containerLogs', () => c.logs({ ...query, follow: false }))) as unknown as Buffer;
      for (const l of [...lines.push(buf), ...lines.end()]) onLine(l);
      return;
    }
    const stream = (await this.call('containerLogs', () => c.logs({ ...query, follow: true, abortSignal: o.signal }))) as unknown as Readable;
    await new Promise<void>((resolve) => {
      const done = () => {
        for (const l of lines.end()) onLine(l);
        resolve();
      };
      stream.on('data', (chunk: Buffer) => {
        for (const l of lines.push(chunk)) onLine(l);
      });
      stream.once('end', done);
      stream.once('close', done);
      // an abort or a dropped connection ends the log like its end does
      stream.once('error', done);
      o.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
    });
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const i = await this.call<Docker.ImageInspectInfo | undefined>(
      'inspectImage',
      () => this.docker.getImage(ref).inspect(),
      () => undefined,
    );
    if (!i) return undefined;
    return {
      id: i.Id,
      repoTags: i.RepoTags ?? [],
      repoDigests: i.RepoDigests ?? [],
      created: i.Created,
      volumes: Object.keys(i.Config?.Volumes ?? {}),
      labels: i.Config?.Labels ?? {},
    };
  }

  async pullImage(ref: string, opts: PullOptions = {}): Promise<void> {
    await this.call('pullImage', async () => {
      // One controller aborts the request on stall or on the caller's signal; the stall clock runs
      // from the request on, so a registry that never answers is caught as well as a frozen stream.
      const abort = new AbortController();
      const watch = new StallWatch(ref, opts.stallTimeoutMs ?? 0, abort);
      const onCallerAbort = () => abort.abort();
      if (opts.signal?.aborted) abort.abort();
      opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
      try {
        watch.arm();
        let stream: Readable;
        try {
          stream = (await this.docker.pull(ref, {
            // The header is computed (and registered as a secret) by registry-auth.ts.
            authconfig: opts.auth ? { base64: registryAuthHeader(opts.auth) } : undefined,
            abortSignal: abort.signal,
            ...(opts.platform ? { platform: opts.platform } : {}),
          } as object)) as Readable;
        } catch (e) {
          throw watch.error ?? e;
        }
        await followPull(ref, stream, opts, watch);
      } finally {
        watch.clear();
        opts.signal?.removeEventListener('abort', onCallerAbort);
      }
    });
  }

  async buildImage(req: BuildRequest): Promise<string> {
    const tag = req.tags[0] ?? '(untagged)';
    return this.call('buildImage', async () => {
      // Query parameters of the classic builder; objects are sent as JSON, a list of `t` repeated.
      const opts: Record<string, unknown> = {
        t: req.tags,
        buildargs: req.args,
        labels: req.labels,
        nocache: req.noCache,
        pull: req.pull,
        rm: true,
        forcerm: true,
      };
      // dockerode takes the signal from the options (and sends it along as a query parameter too).
      if (req.signal) opts.abortSignal = req.signal;
      if (req.remote !== undefined) opts.remote = req.remote;
      if (req.dockerfile !== undefined) opts.dockerfile = req.dockerfile;
      if (req.target !== undefined) opts.target = req.target;
      if (req.network !== undefined) opts.networkmode = req.network;
      if (req.extraHosts.length > 0) opts.extrahosts = req.extraHosts.join(',');
      if (req.shmSizeBytes !== undefined) opts.shmsize = req.shmSizeBytes;
      if (req.cacheFrom.length > 0) opts.cachefrom = req.cacheFrom;
      if (req.platform !== undefined) opts.platform = req.platform;
      // With `remote` the body is empty (without one, the modem would send the options as JSON).
      const body = Readable.from(req.context ?? []);
      const stream = (await this.docker.buildImage(body as never, opts as Docker.ImageBuildOptions)) as Readable;
      return followBuild(tag, stream, req.onOutput);
    });
  }

  async listNetworks(): Promise<NetworkInfo[]> {
    const rows = await this.call('listNetworks', () => this.docker.listNetworks());
    return rows.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async createNetwork(req: CreateNetworkRequest): Promise<string> {
    const n = await this.call('createNetwork', () =>
      this.docker.createNetwork({
        Name: req.name,
        Driver: req.driver ?? 'bridge',
        Options: req.driverOpts,
        Labels: req.labels,
        Internal: req.internal,
        Attachable: req.attachable,
        EnableIPv6: req.enableIpv6,
        ...(req.enableIpv4 !== undefined ? { EnableIPv4: req.enableIpv4 } : {}),
        CheckDuplicate: true,
        IPAM: req.ipam
          ? {
              Driver: req.ipam.driver ?? 'default',
              Config: req.ipam.config.map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, IPRange: c.ipRange, AuxiliaryAddresses: c.auxAddresses })),
              Options: req.ipam.options,
            }
          : undefined,
      } as Docker.NetworkCreateOptions),
    );
    return n.id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call('removeNetwork', () => this.docker.getNetwork(idOrName).remove(), () => undefined);
  }

  async inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    const v = await this.call<Docker.VolumeInspectInfo | undefined>(
      'inspectVolume',
      () => this.docker.getVolume(name).inspect(),
      () => undefined,
    );
    return v ? { name: v.Name, labels: v.Labels ?? {} } : undefined;
  }

  async listVolumes(opts: { label: string }): Promise<VolumeInfo[]> {
    const r = await this.call<{ Volumes?: Docker.VolumeInspectInfo[] | null }>('listVolumes', () =>
      this.docker.listVolumes({ filters: JSON.stringify({ label: [opts.label] }) } as object),
    );
    return (r.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async copyPath(fromId: string, path: string, toId: string): Promise<void> {
    await this.call('copyPath', async () => {
      const tar = await this.docker.getContainer(fromId).getArchive({ path });
      // The archive's root is the directory's own name: extract it into the parent.
      const parent = path.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
      await this.docker.getContainer(toId).putArchive(tar, { path: parent });
    });
  }

  async putFile(id: string, file: ContainerFile): Promise<void> {
    const tar = singleFileTar(file);
    await this.call('putFile', () => this.docker.getContainer(id).putArchive(tar, { path: '/' }));
  }

  async exec(id: string, req: ExecRequest): Promise<ExecResult> {
    return this.call('exec', async () => {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: req.command,
        User: req.user,
        Privileged: req.privileged ?? false,
        WorkingDir: req.workingDir,
        Env: req.env ? Object.entries(req.env).map(([k, v]) => `${k}=${v}`) : undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
      const stream = (await exec.start({ hijack: true, stdin: false })) as Readable;
      let kept = Buffer.alloc(0);
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (c: Buffer) => {
          kept = Buffer.concat([kept, c]);
          // Whole frames only, so the multiplexed stream stays readable after a cut.
          while (kept.length > 2 * EXEC_OUTPUT_BYTES && kept.length >= 8) kept = kept.subarray(8 + kept.readUInt32BE(4));
        });
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      // The output can end a moment before the engine records the exit.
      let info = await exec.inspect();
      for (let i = 0; info.Running && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = await exec.inspect();
      }
      return { exitCode: info.ExitCode ?? -1, output: demux(kept).slice(-EXEC_OUTPUT_BYTES) };
    });
  }

  async createVolume(req: CreateVolumeRequest): Promise<void> {
    await this.call('createVolume', () =>
      this.docker.createVolume({ Name: req.name, Driver: req.driver ?? 'local', DriverOpts: req.driverOpts ?? {}, Labels: req.labels }),
    );
  }

  async removeVolume(name: string): Promise<void> {
    await this.call('removeVolume', () => this.docker.getVolume(name).remove(), () => undefined);
  }

  async events(opts: { label?: string } = {}): Promise<EventStream> {
    const abort = new AbortController();
    const filters: Record<string, string[]> = { type: ['container'] };
    if (opts.label) filters.label = [opts.label];
    const stream = (await this.call('events', () =>
      this.docker.getEvents({ filters: JSON.stringify(filters), abortSignal: abort.signal } as object),
    )) as unknown as Readable;
    return eventStream(stream, abort);
  }
}

// ---------------------------------------------------------------- Swarm (target: swarm)

/** The Swarm target's engine: the same connection and calls, plus services, tasks, secrets and configs. */
export class DockerSwarmEngine extends DockerEngine implements SwarmEngine {
  async swarmInfo(): Promise<SwarmInfo> {
    const i = (await this.call('info', () => this.docker.info())) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } };
    return { state: i.Swarm?.LocalNodeState ?? 'inactive', manager: i.Swarm?.ControlAvailable ?? false, ...(i.Swarm?.NodeID ? { nodeId: i.Swarm.NodeID } : {}) };
  }

  async listServices(opts: { label: string }): Promise<ServiceInfo[]> {
    const rows = await this.call('listServices', () => this.docker.listServices({ filters: JSON.stringify({ label: [opts.label] }) } as object));
    return (rows as unknown as RawService[]).map(toService);
  }

  async inspectService(idOrName: string): Promise<ServiceInfo | undefined> {
    const s = await this.call<RawService | undefined>('inspectService', () => this.docker.getService(idOrName).inspect() as Promise<RawService>, () => undefined);
    return s ? toService(s) : undefined;
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const r = (await this.call('createService', () => this.docker.createService(spec as never))) as { id?: string; ID?: string };
    return r.id ?? r.ID ?? '';
  }

  async updateService(id: string, version: number, spec: ServiceSpec, opts: { rollback?: boolean } = {}): Promise<void> {
    // dockerode sends the options as both the query (version, rollback) and the body (the spec).
    await this.call('updateService', () => this.docker.getService(id).update({ ...spec, version, ...(opts.rollback ? { rollback: 'previous' } : {}) } as never));
  }

  async removeService(id: string): Promise<void> {
    await this.call('removeService', () => this.docker.getService(id).remove(), () => undefined);
  }

  async listTasks(opts: { service?: string; label?: string }): Promise<TaskInfo[]> {
    const filters: Record<string, string[]> = {};
    if (opts.service) filters.service = [opts.service];
    if (opts.label) filters.label = [opts.label];
    const rows = (await this.call('listTasks', () => this.docker.listTasks({ filters: JSON.stringify(filters) } as object))) as unknown as RawTask[];
    return rows.map((t) => ({
      id: t.ID,
      serviceId: t.ServiceID,
      ...(t.JobIteration?.Index !== undefined ? { jobIteration: t.JobIteration.Index } : {}),
      desiredState: t.DesiredState,
      state: t.Status.State as TaskState,
      timestamp: t.Status.Timestamp,
      createdAt: t.CreatedAt,
      ...(t.Status.ContainerStatus?.ExitCode !== undefined ? { exitCode: t.Status.ContainerStatus.ExitCode } : {}),
      ...(t.Status.Err ? { error: t.Status.Err } : {}),
      ...(t.Status.Message ? { message: t.Status.Message } : {}),
    }));
  }

  async listSecrets(opts: SwarmObjectFilter): Promise<SwarmObjectInfo[]> {
    const rows = await this.call('listSecrets', () => this.docker.listSecrets({ filters: objectFilters(opts) } as object));
    return (rows as unknown as RawObject[]).map(toObject);
  }

  async createSecret(req: CreateSwarmObjectRequest): Promise<string> {
    const r = (await this.call('createSecret', () => this.docker.createSecret(objectSpec(req) as never))) as { id?: string };
    return r.id ?? '';
  }

  async removeSecret(id: string): Promise<void> {
    await this.call('removeSecret', () => this.docker.getSecret(id).remove(), () => undefined);
  }

  async listConfigs(opts: SwarmObjectFilter): Promise<SwarmObjectInfo[]> {
    const rows = await this.call('listConfigs', () => this.docker.listConfigs({ filters: objectFilters(opts) } as object));
    return (rows as unknown as RawObject[]).map(toObject);
  }

  async createConfig(req: CreateSwarmObjectRequest): Promise<string> {
    const r = (await this.call('createConfig', () => this.docker.createConfig(objectSpec(req) as never))) as { id?: string };
    return r.id ?? '';
  }

  async removeConfig(id: string): Promise<void> {
    await this.call('removeConfig', () => this.docker.getConfig(id).remove(), () => undefined);
  }
}

interface RawService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
  JobStatus?: { JobIteration?: { Index: number } };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  JobIteration?: { Index: number };
  CreatedAt: string;
  DesiredState: string;
  Status: { State: string; Timestamp: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

interface RawObject {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string> };
}

function toService(s: RawService): ServiceInfo {
  return {
    id: s.ID,
    name: s.Spec.Name,
    version: s.Version.Index,
    labels: s.Spec.Labels ?? {},
    spec: s.Spec,
    ...(s.PreviousSpec ? { previousSpec: s.PreviousSpec } : {}),
    ...(s.UpdateStatus?.State ? { updateState: s.UpdateStatus.State } : {}),
    ...(s.UpdateStatus?.Message ? { updateMessage: s.UpdateStatus.Message } : {}),
    ...(s.UpdateStatus?.StartedAt ? { updateStartedAt: s.UpdateStatus.StartedAt } : {}),
    ...(s.JobStatus?.JobIteration ? { jobIteration: s.JobStatus.JobIteration.Index } : {}),
    createdAt: s.CreatedAt,
    updatedAt: s.UpdatedAt,
  };
}

function toObject(o: RawObject): SwarmObjectInfo {
  return { id: o.ID, name: o.Spec.Name, labels: o.Spec.Labels ?? {} };
}

function parseHealth(status: string): HealthState | undefined {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!m) return undefined;
  return m[1] === 'health: starting' ? 'starting' : (m[1] as HealthState);
}

function parseExitCode(status: string): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : undefined;
}

function toMounts(mounts: Array<{ Type?: string; Name?: string; Source?: string; Destination?: string; RW?: boolean }> | undefined): MountInfo[] {
  return (mounts ?? []).map((m) => ({
    type: m.Type ?? 'volume',
    name: m.Name || undefined,
    source: m.Source ?? '',
    destination: m.Destination ?? '',
    rw: m.RW ?? true,
  }));
}

function toSummary(c: Docker.ContainerInfo): ContainerSummary {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    state: c.State as ContainerState,
    status: c.Status,
    health: parseHealth(c.Status),
    exitCode: c.State === 'exited' ? parseExitCode(c.Status) : undefined,
    labels: c.Labels ?? {},
    mounts: toMounts(c.Mounts as never),
    created: c.Created,
  };
}

function toDetails(c: Docker.ContainerInspectInfo): ContainerDetails {
  const s = c.State;
  const state = s.Status as ContainerState;
  const never = (t: string | undefined) => !t || t.startsWith('0001-01-01');
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    state,
    status: s.Status,
    health: (s.Health?.Status as HealthState | undefined) || undefined,
    exitCode: state === 'exited' || state === 'dead' ? s.ExitCode : undefined,
    labels: c.Config.Labels ?? {},
    mounts: toMounts(c.Mounts as never),
    created: Math.floor(Date.parse(c.Created) / 1000),
    startedAt: never(s.StartedAt) ? undefined : s.StartedAt,
    finishedAt: never(s.FinishedAt) ? undefined : s.FinishedAt,
    restartCount: c.RestartCount ?? 0,
    oomKilled: s.OOMKilled ?? false,
    networkMode: c.HostConfig.NetworkMode,
    hasHealthcheck: !!c.Config.Healthcheck?.Test && c.Config.Healthcheck.Test[0] !== 'NONE',
  };
}

/** The list filter of a Swarm secret or config query: by label, else by exact name. */
function objectFilters(opts: SwarmObjectFilter): string {
  return JSON.stringify(opts.label !== undefined ? { label: [opts.label] } : { name: [opts.name] });
}

/** A Swarm secret or config's spec: the Engine API takes the data base64-encoded. */
function objectSpec(req: CreateSwarmObjectRequest): object {
  const bytes = typeof req.data === 'string' ? Buffer.from(req.data, 'utf8') : Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength);
  return { Name: req.name, Labels: req.labels, Data: bytes.toString('base64') };
}
