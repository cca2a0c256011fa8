// Builds the Engine API create request for an entry. Pure: spec + context in, request out.
import { CDI_NAME } from '../manifest/schema.js';
import { networksByPriority } from '../manifest/normalize.js';
import type { ContainerSpec, DeviceRequest, Manifest, NetworkAttachment, VolumeContainerSpec } from '../manifest/types.js';
import type { CreateContainerRequest } from './engine.js';

export interface CreateContext {
  /** The name to create under (the entry's container name, or its replacement name). */
  name: string;
  labels: Record<string, string>;
  /** Anonymous volumes carried over from the container being replaced, by mount destination. */
  keepVolumes: Array<{ name: string; destination: string }>;
}

const NS = 1_000_000;

export function containerNameOf(manifest: Manifest, key: string): string {
  for (const e of [...manifest.volumeContainers, ...manifest.jobs, ...manifest.services]) {
    if (e.name === key) return e.containerName;
  }
  return key;
}

export function volumeContainerRequest(spec: VolumeContainerSpec, ctx: CreateContext): CreateContainerRequest {
  const kept = new Map(ctx.keepVolumes.map((k) => [k.destination, k.name]));
  return {
    name: ctx.name,
    body: {
      Image: spec.image,
      Cmd: spec.command,
      Labels: { ...spec.labels, ...ctx.labels },
      Volumes: Object.fromEntries(spec.paths.filter((p) => !kept.has(p)).map((p) => [p, {}])),
      HostConfig: {
        NetworkMode: 'none',
        RestartPolicy: { Name: 'no' },
        Mounts: [...kept].map(([destination, name]) => ({ Type: 'volume', Source: name, Target: destination })),
      },
    },
    extraNetworks: [],
  };
}

export function serviceRequest(manifest: Manifest, spec: ContainerSpec, ctx: CreateContext): CreateContainerRequest {
  const cname = (key: string) => containerNameOf(manifest, key);
  const storage = mountsConfig(manifest, spec, ctx.keepVolumes);
  const ports = portsConfig(spec);
  const net = networkConfig(manifest, spec);
  const res = resourcesConfig(spec);
  const body: Record<string, unknown> = {
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, ...ctx.labels },
    ExposedPorts: ports.exposed,
    Volumes: storage.anonymous,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    Domainname: spec.domainname,
    MacAddress: net.macAddress, // deprecated in Engine API 1.44 but still honoured; must equal the endpoint's
    Tty: spec.tty,
    OpenStdin: spec.stdinOpen,
    AttachStdin: false,
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopGracePeriodMs !== undefined ? Math.ceil(spec.stopGracePeriodMs / 1000) : undefined,
    Healthcheck: healthcheckConfig(spec.healthcheck),
    HostConfig: {
      Binds: storage.binds,
      Mounts: storage.mounts,
      Tmpfs: storage.tmpfs,
      VolumesFrom: spec.volumesFrom.map((v) => `${cname(v.name)}:${v.readOnly ? 'ro' : 'rw'}`),
      Links: net.links,
      PortBindings: ports.portBindings,
      // dom0 applies the manifest's restart policy itself, in dependency order (see README, "Boot order").
      RestartPolicy: { Name: 'no' },
      Privileged: spec.privileged,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      Devices: spec.devices.filter((d) => !isCdiDevice(d)).map(parseDevice),
      NetworkMode: net.networkMode,
      ExtraHosts: spec.extraHosts,
      Dns: spec.dns,
      DnsSearch: spec.dnsSearch,
      Init: spec.init || undefined,
      ReadonlyRootfs: spec.readOnly,
      Memory: res.Memory,
      NanoCpus: res.NanoCpus,
      ShmSize: res.ShmSize,
      Sysctls: res.Sysctls,
      Ulimits: res.Ulimits,
      ...tuningConfig(spec),
      ...isolationConfig(spec, cname),
      VolumeDriver: spec.volumeDriver,
      Isolation: spec.isolation,
      LogConfig: spec.logging ? { Type: spec.logging.driver ?? '', Config: spec.logging.options } : undefined, // "" = the daemon's default driver
    },
    NetworkingConfig: net.networkingConfig,
  };
  const req: CreateContainerRequest = { name: ctx.name, body: dropUndefined(body), extraNetworks: net.extraNetworks };
  if (spec.platform !== undefined) req.platform = spec.platform;
  return req;
}

/** A `devices` entry naming a CDI device (vendor.com/class=name) rather than a device path. */
export function isCdiDevice(d: string): boolean {
  return !d.startsWith('/') && CDI_NAME.test(d);
}

export interface MountsConfig {
  /** HostConfig.Binds: "source:target[:ro]" (a bind with a propagation mode is a Mount). */
  binds: string[];
  /** HostConfig.Mounts: named volumes, carried-over and read-only anonymous volumes, binds with a propagation mode. */
  mounts: Array<Record<string, unknown>>;
  /** Volumes: anonymous volumes the engine creates. */
  anonymous: Record<string, object>;
  /** HostConfig.Tmpfs (undefined when none). */
  tmpfs: Record<string, string> | undefined;
}

/** Volumes, binds and tmpfs; `keepVolumes` (the replaced container's anonymous volumes) are carried over. */
export function mountsConfig(manifest: Manifest, spec: ContainerSpec, keepVolumes: CreateContext['keepVolumes']): MountsConfig {
  const kept = new Map(keepVolumes.map((k) => [k.destination, k.name]));
  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  const anonymous: Record<string, object> = {};
  const tmpfs: Record<string, string> = {};
  for (const m of spec.volumes) {
    if (m.type === 'bind' && m.selinux) {
      // Relabeling exists only in the Binds form (the Mount API has no option for it), as Compose sends it.
      const modes = [m.readOnly ? 'ro' : '', m.bindPropagation ?? '', m.selinux].filter(Boolean);
      binds.push(`${m.source}:${m.target}:${modes.join(',')}`);
    } else if (m.type === 'bind' && m.bindPropagation) {
      // As Compose: a propagation mode needs the Mount API (docker/compose requireMountAPI).
      mounts.push({ Type: 'bind', Source: m.source, Target: m.target, ReadOnly: m.readOnly, BindOptions: { Propagation: m.bindPropagation } });
    } else if (m.type === 'bind') {
      binds.push(`${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
    } else if (m.type === 'volume') {
      mounts.push({
        Type: 'volume',
        Source: manifest.volumes[m.source]?.name ?? m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.noCopy ? { VolumeOptions: { NoCopy: true } } : {}),
      });
    } else if (m.type === 'anonymous') {
      const keep = kept.get(m.target);
      if (keep) mounts.push({ Type: 'volume', Source: keep, Target: m.target, ReadOnly: m.readOnly });
      else if (m.readOnly) mounts.push({ Type: 'volume', Target: m.target, ReadOnly: true }); // `Volumes` has no read-only form
      else anonymous[m.target] = {};
    } else {
      tmpfs[m.target] = [m.sizeBytes ? `size=${m.sizeBytes}` : '', m.mode !== undefined ? `mode=${m.mode.toString(8)}` : '']
        .filter(Boolean)
        .join(',');
    }
  }
  const explicitTargets = new Set(spec.volumes.map((m) => m.target));
  // Volumes of the old container that the spec does not name (image VOLUMEs, anonymous ones) come along.
  for (const [destination, name] of kept) {
    if (!explicitTargets.has(destination)) mounts.push({ Type: 'volume', Source: name, Target: destination });
  }
  for (const t of spec.tmpfs) {
    const [path, opts] = splitOnce(t, ':');
    tmpfs[path] = opts ?? '';
  }
  return { binds, mounts, anonymous, tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined };
}

/** ExposedPorts ("port/proto" → {}) and HostConfig.PortBindings from `ports` and `expose`. */
export function portsConfig(spec: Pick<ContainerSpec, 'ports' | 'expose'>): {
  exposed: Record<string, object>;
  portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
} {
  const exposed: Record<string, object> = {};
  const portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }>> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort ?? '' });
  }
  for (const e of spec.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  return { exposed, portBindings };
}

export interface NetworkConfig {
  /** Config.MacAddress (Engine API < 1.44): the service's mac_address, else the primary network's. */
  macAddress: string | undefined;
  /** HostConfig.NetworkMode: network_mode (service:X as container:NAME), else the first network. */
  networkMode: string | undefined;
  /** "container-name:alias", for HostConfig.Links and the endpoints. */
  links: string[];
  /** The first network's endpoint, set at create. */
  networkingConfig: Record<string, unknown> | undefined;
  /** The other networks, connected after create. */
  extraNetworks: CreateContainerRequest['extraNetworks'];
}

/**
 * network_mode, the networks attached (by `priority`, highest first, then by key, as Compose; the
 * first at create, the rest after) and links (then external_links).
 */
export function networkConfig(
  manifest: Manifest,
  spec: Pick<ContainerSpec, 'networkMode' | 'networks' | 'links' | 'externalLinks' | 'macAddress'>,
): NetworkConfig {
  const cname = (key: string) => containerNameOf(manifest, key);
  let networkMode: string | undefined = spec.networkMode;
  if (networkMode?.startsWith('service:')) networkMode = `container:${cname(networkMode.slice('service:'.length))}`;

  const keys = networkMode ? [] : networksByPriority(spec.networks);
  const links = [...spec.links.map((l) => `${cname(l.name)}:${l.alias}`), ...(spec.externalLinks ?? [])];
  const endpoint = (key: string, a: NetworkAttachment, mac: string | undefined): CreateContainerRequest['extraNetworks'][number] => {
    const e: CreateContainerRequest['extraNetworks'][number] = { network: manifest.networks[key]?.name ?? key, aliases: [...new Set(a.aliases)] };
    if (a.ipv4Address !== undefined) e.ipv4Address = a.ipv4Address;
    if (a.ipv6Address !== undefined) e.ipv6Address = a.ipv6Address;
    if (a.linkLocalIps?.length) e.linkLocalIps = a.linkLocalIps;
    if (mac !== undefined) e.macAddress = mac;
    if (a.driverOpts && Object.keys(a.driverOpts).length) e.driverOpts = a.driverOpts;
    if (a.gwPriority !== undefined) e.gwPriority = a.gwPriority;
    return e;
  };
  // The service-level mac_address belongs to the primary network's endpoint (normalize rejects a different one there).
  const [first, ...others] = keys.map((key, i) => endpoint(key, spec.networks[key]!, spec.networks[key]!.macAddress ?? (i === 0 ? spec.macAddress : undefined)));
  if (first) networkMode = first.network;
  const networkingConfig = first
    ? {
        EndpointsConfig: {
          [first.network]: {
            ...endpointSettings(first),
            // On a user-defined network the engine takes links from the endpoint, not HostConfig.
            Links: links.length ? links : undefined,
          },
        },
      }
    : undefined;
  return { macAddress: spec.macAddress ?? first?.macAddress, networkMode, links, networkingConfig, extraNetworks: others.map((o) => ({ ...o, links })) };
}

/** The Engine API EndpointSettings of one attachment (as docker/compose createEndpointSettings). */
export function endpointSettings(e: CreateContainerRequest['extraNetworks'][number]): Record<string, unknown> {
  const ipam = e.ipv4Address || e.ipv6Address || e.linkLocalIps?.length;
  return {
    Aliases: e.aliases,
    Links: e.links?.length ? e.links : undefined,
    IPAMConfig: ipam ? { IPv4Address: e.ipv4Address, IPv6Address: e.ipv6Address, LinkLocalIPs: e.linkLocalIps } : undefined,
    MacAddress: e.macAddress, // where Engine API 1.44+ reads it (Config.MacAddress for older engines)
    DriverOpts: e.driverOpts,
    GwPriority: e.gwPriority,
  };
}

/** The Engine API healthcheck: durations in nanoseconds. */
export function healthcheckConfig(h: ContainerSpec['healthcheck']): Record<string, unknown> | undefined {
  if (!h) return undefined;
  const ns = (ms: number | undefined) => (ms !== undefined ? ms * NS : undefined);
  return {
    Test: h.test,
    Interval: ns(h.intervalMs),
    Timeout: ns(h.timeoutMs),
    Retries: h.retries,
    StartPeriod: ns(h.startPeriodMs),
    StartInterval: ns(h.startIntervalMs),
  };
}

/** Memory, CPUs, shared memory, sysctls and ulimits (HostConfig fields). */
export function resourcesConfig(spec: Pick<ContainerSpec, 'memLimitBytes' | 'cpus' | 'shmSizeBytes' | 'sysctls' | 'ulimits'>): {
  Memory: number | undefined;
  NanoCpus: number | undefined;
  ShmSize: number | undefined;
  Sysctls: Record<string, string> | undefined;
  Ulimits: Array<{ Name: string; Soft: number; Hard: number }>;
} {
  return {
    Memory: spec.memLimitBytes,
    NanoCpus: spec.cpus !== undefined ? Math.round(spec.cpus * 1e9) : undefined,
    ShmSize: spec.shmSizeBytes,
    Sysctls: Object.keys(spec.sysctls).length ? spec.sysctls : undefined,
    Ulimits: Object.entries(spec.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard })),
  };
}

const orUndefined = <T>(l: T[] | undefined): T[] | undefined => (l?.length ? l : undefined);

/** CPU, memory, PID, block-IO and device tuning beyond resourcesConfig (HostConfig fields; unset keys stay undefined). */
export function tuningConfig(
  spec: Pick<
    ContainerSpec,
    | 'cpuShares'
    | 'cpuQuota'
    | 'cpuPeriod'
    | 'cpuset'
    | 'cpuRtRuntime'
    | 'cpuRtPeriod'
    | 'memReservationBytes'
    | 'memswapLimitBytes'
    | 'memSwappiness'
    | 'oomKillDisable'
    | 'oomScoreAdj'
    | 'pidsLimit'
    | 'blkio'
    | 'deviceCgroupRules'
    | 'deviceRequests'
  > & { devices?: string[] },
): Record<string, unknown> {
  const throttle = (l: Array<{ path: string; rate: number }> | undefined) => l?.map((t) => ({ Path: t.path, Rate: t.rate }));
  const b = spec.blkio;
  return {
    CpuShares: spec.cpuShares,
    CpuQuota: spec.cpuQuota,
    CpuPeriod: spec.cpuPeriod,
    CpusetCpus: spec.cpuset,
    CpuRealtimeRuntime: spec.cpuRtRuntime,
    CpuRealtimePeriod: spec.cpuRtPeriod,
    MemoryReservation: spec.memReservationBytes,
    MemorySwap: spec.memswapLimitBytes,
    MemorySwappiness: spec.memSwappiness,
    OomKillDisable: spec.oomKillDisable || undefined,
    OomScoreAdj: spec.oomScoreAdj,
    PidsLimit: spec.pidsLimit,
    BlkioWeight: b?.weight,
    BlkioWeightDevice: b?.weightDevice?.map((w) => ({ Path: w.path, Weight: w.weight })),
    BlkioDeviceReadBps: throttle(b?.deviceReadBps),
    BlkioDeviceReadIOps: throttle(b?.deviceReadIops),
    BlkioDeviceWriteBps: throttle(b?.deviceWriteBps),
    BlkioDeviceWriteIOps: throttle(b?.deviceWriteIops),
    DeviceCgroupRules: orUndefined(spec.deviceCgroupRules),
    DeviceRequests: orUndefined([...(spec.deviceRequests ?? []), ...cdiRequest(spec.devices ?? [])])?.map((d) => ({
      Driver: d.driver ?? '',
      Count: d.count ?? 0,
      DeviceIDs: d.deviceIds,
      Capabilities: d.capabilities.length ? [d.capabilities] : undefined,
      Options: d.options,
    })),
  };
}

/** CDI device names from `devices`: one request with driver "cdi", as docker/compose getDeployResources. */
function cdiRequest(devices: string[]): DeviceRequest[] {
  const names = devices.filter(isCdiDevice);
  return names.length ? [{ driver: 'cdi', capabilities: [], deviceIds: names }] : [];
}

/** Namespaces (pid/ipc `service:KEY` → container:<its container name>), security options, groups, runtime, resolver and storage options, annotations. */
export function isolationConfig(
  spec: Pick<
    ContainerSpec,
    'securityOpt' | 'groupAdd' | 'pid' | 'ipc' | 'uts' | 'usernsMode' | 'cgroup' | 'cgroupParent' | 'runtime' | 'dnsOpt' | 'storageOpt' | 'annotations'
  >,
  containerName: (key: string) => string = (key) => key,
): Record<string, unknown> {
  const map = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? m : undefined);
  const shared = (mode: string | undefined) => (mode?.startsWith('service:') ? `container:${containerName(mode.slice('service:'.length))}` : mode);
  return {
    SecurityOpt: orUndefined(spec.securityOpt),
    GroupAdd: orUndefined(spec.groupAdd),
    PidMode: shared(spec.pid),
    IpcMode: shared(spec.ipc),
    UTSMode: spec.uts,
    UsernsMode: spec.usernsMode,
    CgroupnsMode: spec.cgroup,
    CgroupParent: spec.cgroupParent,
    Runtime: spec.runtime,
    DnsOptions: orUndefined(spec.dnsOpt),
    StorageOpt: map(spec.storageOpt),
    Annotations: map(spec.annotations),
  };
}

function parseDevice(d: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host = d, inContainer, perms] = d.split(':');
  return { PathOnHost: host, PathInContainer: inContainer ?? host, CgroupPermissions: perms ?? 'rwm' };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) delete o[k];
    else if (v && typeof v === 'object' && !Array.isArray(v)) dropUndefined(v as Record<string, unknown>);
  }
  return o;
}
