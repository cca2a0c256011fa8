// Builds the Engine API create request for an entry. Pure: spec + context in, request out.
import type { ContainerSpec, Manifest, VolumeContainerSpec } from '../manifest/types.js';
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
  const kept = new Map(ctx.keepVolumes.map((k) => [k.destination, k.name]));

  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  const anonymous: Record<string, object> = {};
  const tmpfs: Record<string, string> = {};
  for (const m of spec.volumes) {
    if (m.type === 'bind') {
      const opts = [m.readOnly ? 'ro' : '', m.bindPropagation ?? ''].filter(Boolean);
      binds.push(`${m.source}:${m.target}${opts.length ? `:${opts.join(',')}` : ''}`);
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

  const exposed: Record<string, object> = {};
  const portBindings: Record<string, Array<{ HostIp?: string; HostPort?: string }>> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (portBindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort ?? '' });
  }
  for (const e of spec.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};

  let networkMode: string | undefined = spec.networkMode;
  if (networkMode?.startsWith('service:')) networkMode = `container:${cname(networkMode.slice('service:'.length))}`;

  const attachments = networkMode ? [] : Object.entries(spec.networks).sort(([a], [b]) => a.localeCompare(b));
  const links = spec.links.map((l) => `${cname(l.name)}:${l.alias}`);
  const endpoint = (key: string, aliases: string[], ipv4?: string, ipv6?: string) => ({
    network: manifest.networks[key]?.name ?? key,
    aliases: [...new Set(aliases)],
    ipv4Address: ipv4,
    ipv6Address: ipv6,
  });
  const [first, ...others] = attachments.map(([key, a]) => endpoint(key, a.aliases, a.ipv4Address, a.ipv6Address));
  if (first) networkMode = first.network;

  const healthcheck = spec.healthcheck
    ? {
        Test: spec.healthcheck.test,
        Interval: spec.healthcheck.intervalMs !== undefined ? spec.healthcheck.intervalMs * NS : undefined,
        Timeout: spec.healthcheck.timeoutMs !== undefined ? spec.healthcheck.timeoutMs * NS : undefined,
        Retries: spec.healthcheck.retries,
        StartPeriod: spec.healthcheck.startPeriodMs !== undefined ? spec.healthcheck.startPeriodMs * NS : undefined,
        StartInterval: spec.healthcheck.startIntervalMs !== undefined ? spec.healthcheck.startIntervalMs * NS : undefined,
      }
    : undefined;

  const body: Record<string, unknown> = {
    Image: spec.image,
    Cmd: spec.command,
    Entrypoint: spec.entrypoint,
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, ...ctx.labels },
    ExposedPorts: exposed,
    Volumes: anonymous,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    Domainname: spec.domainname,
    Tty: spec.tty,
    OpenStdin: spec.stdinOpen,
    AttachStdin: false,
    StopSignal: spec.stopSignal,
    StopTimeout: spec.stopGracePeriodMs !== undefined ? Math.ceil(spec.stopGracePeriodMs / 1000) : undefined,
    Healthcheck: healthcheck,
    HostConfig: {
      Binds: binds,
      Mounts: mounts,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
      VolumesFrom: spec.volumesFrom.map((v) => `${cname(v.name)}:${v.readOnly ? 'ro' : 'rw'}`),
      Links: links,
      PortBindings: portBindings,
      // dom0 applies the manifest's restart policy itself, in dependency order (see README, "Boot order").
      RestartPolicy: { Name: 'no' },
      Privileged: spec.privileged,
      CapAdd: spec.capAdd,
      CapDrop: spec.capDrop,
      Devices: spec.devices.map(parseDevice),
      NetworkMode: networkMode,
      ExtraHosts: spec.extraHosts,
      Dns: spec.dns,
      DnsSearch: spec.dnsSearch,
      Init: spec.init || undefined,
      ReadonlyRootfs: spec.readOnly,
      Memory: spec.memLimitBytes,
      NanoCpus: spec.cpus !== undefined ? Math.round(spec.cpus * 1e9) : undefined,
      ShmSize: spec.shmSizeBytes,
      Sysctls: Object.keys(spec.sysctls).length ? spec.sysctls : undefined,
      Ulimits: Object.entries(spec.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard })),
      LogConfig: spec.logging ? { Type: spec.logging.driver ?? '', Config: spec.logging.options } : undefined, // "" = the daemon's default driver
    },
    NetworkingConfig: first
      ? {
          EndpointsConfig: {
            [first.network]: {
              Aliases: first.aliases,
              // On a user-defined network the engine takes links from the endpoint, not HostConfig.
              Links: links.length ? links : undefined,
              IPAMConfig: first.ipv4Address || first.ipv6Address ? { IPv4Address: first.ipv4Address, IPv6Address: first.ipv6Address } : undefined,
            },
          },
        }
      : undefined,
  };
  return { name: ctx.name, body: dropUndefined(body), extraNetworks: others.map((o) => ({ ...o, links })) };
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
